// A gRPC-Web client that is not ours: @connectrpc/connect-web's gRPC-Web
// transport (what a browser page uses), run in Node on its fetch, over
// HTTP/1.1. The service's descriptors come from a FileDescriptorSet file (no
// generated code): the calls are built from the schema at run time.
//
//   node grpc_web_client.mjs BASE_URL DESCRIPTOR_SET_FILE
//
// Against the user-service: CreateUser, GetUser, a GetUser of an unknown id
// (its status and message), a GetUser past its deadline, and WatchUsers (server
// streaming) seeing a user created while it watches. Prints one JSON line.

import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createClient, ConnectError } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

const [baseUrl, setFile] = process.argv.slice(2);
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(setFile)));
const service = registry.getService("user.v1.User");
const client = createClient(service, createGrpcWebTransport({ baseUrl, useBinaryFormat: true }));

const out = {};
const created = await client.createUser({ name: "web", email: `web.${Date.now()}@example.com` });
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
await client.createUser({ name: "watched", email: `watched.${Date.now()}@example.com` });
out.event = await first;
watch.abort();

process.stdout.write(JSON.stringify(out) + "\n");
