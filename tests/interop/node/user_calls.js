// The user-service calls the browser-client tests make, with Connect's client on
// any transport (gRPC-Web, Connect): in Node (web_client.mjs) and in a browser page
// (browser.html). The service's descriptors come from a FileDescriptorSet (no
// generated code): the calls are built from the schema at run time.
//
// CreateUser, GetUser, a GetUser of an unknown id (its status and message),
// and WatchUsers (server streaming) seeing a user created while it watches.

import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createClient, ConnectError } from "@connectrpc/connect";

export async function userCalls(transport, descriptorSet, tag) {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const client = createClient(registry.getService("user.v1.User"), transport);
  const out = {};
  const created = await client.createUser({ name: tag, email: `${tag}.${Date.now()}@example.com` });
  out.created = { id: created.user.id, name: created.user.name };
  const got = await client.getUser({ id: created.user.id });
  out.got = got.user.email === created.user.email;
  try {
    await client.getUser({ id: "00000000-0000-4000-8000-000000000000" });
    out.missing = "answered";
  } catch (e) {
    const err = ConnectError.from(e);
    out.missing = { code: err.code, message: err.rawMessage };
  }
  // Server streaming: the stream opens, a user is created, its event arrives.
  const watch = new AbortController();
  const events = client.watchUsers({}, { signal: watch.signal, timeoutMs: 20000 });
  const first = (async () => {
    for await (const event of events) {
      return { kind: event.kind, name: event.user.name };
    }
    return null;
  })();
  await new Promise((r) => setTimeout(r, 300));
  await client.createUser({ name: `${tag}-watched`, email: `${tag}.watched.${Date.now()}@example.com` });
  out.event = await first;
  watch.abort();
  return out;
}
