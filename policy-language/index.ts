export {
  type PathSegment,
  type PolicyIssue,
  type Locator,
  formatPath,
  formatIssue,
  sortIssues,
  PolicyValidationError,
} from "../policy-primitives/issues.js";
export {
  PolicySchema,
  InventorySchema,
  TargetsSchema,
  RolloutSchema,
  ResourcesSchema,
  type PolicyDocument,
  type PolicySpecDocument,
  type TargetsDocument,
  type RolloutDocument,
  type ResourcesDocument,
  type InventoryDocument,
  type VarValue,
} from "./schema.js";
export { PATTERNS, controlCharProblem, checkAbsolutePath } from "../policy-primitives/names.js";
export { renderJsonSchemas, writeJsonSchemas, SCHEMA_FILES } from "./write-json-schema.js";
export { parseYamlDocuments, type SourceDocument } from "./yaml-source.js";
export { POLICY_LIMITS, formatLimitBytes } from "./limits.js";
export { PolicyReadBudget, type ReadLimits, type ReadRefusal } from "./read-files.js";
export { scanYaml, type YamlScanLimits, type YamlScanProblem } from "./yaml-scan.js";
export {
  loadPolicies,
  loadPolicySources,
  loadPolicySourcesYielding,
  loadPolicyDocument,
  isInventoryFile,
  MAX_POLICY_FILE_BYTES,
  type LoadResult,
  type LoadOptions,
  type PolicySource,
} from "./load.js";
export { type LoadedPolicy, type RolloutSettings, DEFAULT_ROLLOUT, batchHostCount } from "./loaded-policy.js";
export {
  parseTemplate,
  expandTemplate,
  hasTemplate,
  templateRefs,
  shortName,
  TemplateSyntaxError,
  type TemplateContext,
  type TemplatePart,
} from "../policy-primitives/template.js";
export {
  HostPattern,
  HostPatternError,
  expandHostPattern,
  matchesHostPattern,
  DEFAULT_EXPAND_LIMIT,
} from "./patterns.js";
export {
  ALL_GROUP,
  UNGROUPED_GROUP,
  emptyInventory,
  describeHost,
  hostGroups,
  inventoryHostNames,
  inventoryVarNames,
  type Inventory,
  type InventoryGroup,
  type InventoryHostEntry,
  type HostInfo,
} from "./inventory.js";
export { matchTargets, factAt, type TargetHost, type MatchOptions } from "./targets.js";
export { resolvePolicy, type HostContext, type LocatedResolvedPolicy } from "./resolve.js";
export { deriveMac } from "../policy-primitives/mac.js";
export { identityKey, type ResourceKind } from "../policy-primitives/identity.js";
export {
  findConflicts,
  resolveConflicts,
  formatConflict,
  NEW_HOST,
  type ResourceConflict,
  type ConflictSide,
  type HostResolution,
} from "./conflicts.js";
export { resolveHostPolicies, type HostPolicies } from "./host-policies.js";
export { ResolutionCache } from "./resolution-cache.js";
export {
  parseSelector,
  matchSelector,
  andSelectors,
  groupSelector,
  checkSelectorGroups,
  SelectorSyntaxError,
  UnknownGroupError,
  type Selector,
  type SelectorTerm,
  type SelectorValue,
  type SelectableHost,
} from "./selector.js";
