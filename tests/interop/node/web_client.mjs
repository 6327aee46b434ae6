// Clients that are not ours, as browser pages use them: @connectrpc/connect-web's
// gRPC-Web transport and its Connect transport (JSON or binary), run in Node on
// its fetch, over HTTP/1.1, making the calls of user_calls.js. Prints one JSON
// line.
//
//   node web_client.mjs grpc-web|connect-json|connect-proto BASE_URL DESCRIPTOR_SET_FILE TAG

import { readFileSync } from "node:fs";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { userCalls } from "./user_calls.js";

const [kind, baseUrl, setFile, tag] = process.argv.slice(2);
const transports = {
  "grpc-web": () => createGrpcWebTransport({ baseUrl, useBinaryFormat: true }),
  "connect-json": () => createConnectTransport({ baseUrl, useBinaryFormat: false }),
  "connect-proto": () => createConnectTransport({ baseUrl, useBinaryFormat: true }),
};
if (!transports[kind]) {
  throw new Error(`unknown transport ${kind}: one of ${Object.keys(transports).join(", ")}`);
}
const out = await userCalls(transports[kind](), readFileSync(setFile), tag);
process.stdout.write(JSON.stringify(out) + "\n");
