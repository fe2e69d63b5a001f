/**
 * One site for the app and the service: the browser calls /_allauth/ and
 * /api/ on this origin and Next passes them on to the accounts service, so
 * the refresh-token cookie the service sets is first-party here (README.md,
 * "One site").
 *
 * ACCOUNTS_API_ORIGIN is read when the app is built: `next build` compiles
 * these rewrites into the build.
 */
import type { NextConfig } from "next";

const service = (process.env.ACCOUNTS_API_ORIGIN ?? "http://127.0.0.1:8000").replace(/\/+$/, "");

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Where `next build` writes and `next start` reads, and the tsconfig a
  // build may rewrite: the tests build into a folder and a tsconfig of their
  // own, so a run never touches the working copy's (tests/e2e/test_nextjs.py).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  typescript: { tsconfigPath: process.env.NEXT_TSCONFIG_PATH || "tsconfig.json" },
  async rewrites() {
    return [
      { source: "/_allauth/:path*", destination: `${service}/_allauth/:path*` },
      { source: "/api/:path*", destination: `${service}/api/:path*` },
    ];
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
