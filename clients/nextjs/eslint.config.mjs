// ESLint's flat config: Next's rules (React, hooks, accessibility, Core Web
// Vitals) and typescript-eslint's. `next lint` is gone since Next.js 16.
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([".next/**", "node_modules/**", "next-env.d.ts"]),
]);
