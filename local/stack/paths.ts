// Tiny path helpers (JSR's @std/path is unreachable here; node:path would do too).
export { basename, dirname, extname, join, relative } from "node:path";
export { fileURLToPath as fromFileUrl } from "node:url";
