// A gRPC-Web client that is not ours: @connectrpc/connect-web's gRPC-Web
// transport (what a browser page uses), run in Node on its fetch, over
// HTTP/1.1, making the calls of user_calls.js. Prints one JSON line.
//
//   node grpc_web_client.mjs BASE_URL DESCRIPTOR_SET_FILE

import { readFileSync } from "node:fs";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { userCalls } from "./user_calls.js";

const [baseUrl, setFile] = process.argv.slice(2);
const transport = createGrpcWebTransport({ baseUrl, useBinaryFormat: true });
const out = await userCalls(transport, readFileSync(setFile), "node");
process.stdout.write(JSON.stringify(out) + "\n");
