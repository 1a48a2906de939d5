/** Image URLs are shown with their credentials redacted (`user:pass@` → `***@`); see common/redact.ts. */
export { redactUrl } from "../../../common/redact.js";
