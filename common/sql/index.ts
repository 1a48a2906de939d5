/** The portable query surface table owners use on either engine (contract in queryable.ts). */
export {
  forUpdate,
  greatest,
  least,
  sqlFor,
  type Engine,
  type Queryable,
  type RunResult,
  type SqlParams,
  type SqlValue,
  type TransactionOptions,
} from "./queryable.js";
export { numberPlaceholders, SqlParamsError } from "./placeholders.js";
export { jsonTextList } from "./json-list.js";
