import * as grpc from "@grpc/grpc-js";
import { fleetProto } from "../../common/index.js";
import type { AgentService } from "../../controller/agents/index.js";

/** `agents` served as the AgentService on a free loopback port, plaintext (in-process replicas in tests). */
export async function serveAgentService(agents: AgentService): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(fleetProto().AgentService.service, agents.handlers() as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}
