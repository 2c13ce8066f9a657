// Types for frontends: the generated database types, the domain types derived from them, and the
// zod schemas of the API (RPC arguments and results, rows, event payloads).
export type { CompositeTypes, Database, Enums, Json, Tables, TablesInsert, TablesUpdate } from "./database.ts";
export { Constants } from "./database.ts";
export * from "./domain.ts";
export * from "./schemas.ts";
