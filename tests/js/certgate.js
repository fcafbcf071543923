// Helpers of the JavaScript tests: a certgate process on a free loopback port, and AWS SDK v3
// clients pointed at it with a chosen account (a 12-digit access key) and region.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const binary = process.env.CERTGATE_BIN ?? join(repo, "target", "debug", "certgate");

// Credentials and endpoints come only from what each test sets: no profile of the machine's user.
const emptyConfig = join(mkdtempSync(join(tmpdir(), "certgate-js-")), "empty");
writeFileSync(emptyConfig, "");
process.env.AWS_CONFIG_FILE = emptyConfig;
process.env.AWS_SHARED_CREDENTIALS_FILE = emptyConfig;
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_API_GATEWAY;

/** Starts `certgate serve` on a fresh store; resolves once it prints its address. */
export async function startServer({ maxCertificates } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "certgate-js-"));
  const args = ["serve", "--listen", "127.0.0.1:0", "--store", `sqlite://${join(dir, "c.db")}`];
  if (maxCertificates) args.push("--max-certificates-per-region", String(maxCertificates));
  // The server's log goes to a file, read back only if it fails to start.
  const log = join(dir, "stderr.log");
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", openSync(log, "w")] });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  for await (const line of lines) {
    const m = /^certgate listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    if (m) {
      clearTimeout(timer);
      return {
        url: m[1],
        async stop() {
          child.kill("SIGTERM");
          if (child.exitCode === null) await once(child, "exit");
        },
      };
    }
  }
  clearTimeout(timer);
  throw new Error(`certgate (${binary}) exited before it was ready:\n${readFileSync(log, "utf8")}`);
}

let accounts = 0;
/** A fresh 12-digit account id for this process. */
export function newAccount() {
  accounts += 1;
  return String(400000000000 + (process.pid % 1000) * 100000 + accounts);
}

/** A client of `account` in `region`; `url` undefined leaves the endpoint to the environment. */
export function client(url, account, region = "us-east-1") {
  return new APIGatewayClient({
    ...(url ? { endpoint: url } : {}),
    region,
    credentials: { accessKeyId: account, secretAccessKey: "x" },
    // Every error reaches the test as the server sent it.
    maxAttempts: 1,
  });
}

export function arn(region, id) {
  return `arn:aws:apigateway:${region}::/clientcertificates/${id}`;
}
