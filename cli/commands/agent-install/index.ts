export { registerAgentInstallCommand } from "./register.js";
