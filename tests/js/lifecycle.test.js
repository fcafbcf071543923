// The whole lifecycle of a client certificate through the AWS SDK for JavaScript v3, its error
// shapes, its paginator over a long list, and the endpoint variables it documents.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  APIGatewayServiceException,
  BadRequestException,
  DeleteClientCertificateCommand,
  GenerateClientCertificateCommand,
  GetClientCertificateCommand,
  GetClientCertificatesCommand,
  GetTagsCommand,
  NotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateClientCertificateCommand,
  paginateGetClientCertificates,
} from "@aws-sdk/client-api-gateway";
import { arn, client, newAccount, startServer } from "./certgate.js";

const NOT_FOUND = "Invalid Client Certificate identifier specified";
const YEAR_MS = 365 * 86400 * 1000;
const MANY = 75;
const PAGE = 7;

let server;
before(async () => {
  server = await startServer({ maxCertificates: MANY + 5 });
});
after(async () => {
  await server?.stop();
});

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("the call succeeded");
}

test("generate, get, list, update, tag, untag, get tags, delete", async () => {
  const region = "eu-west-1";
  const c = client(server.url, newAccount(), region);
  const created = await c.send(
    new GenerateClientCertificateCommand({ description: "js cert", tags: { team: "web" } }),
  );
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.clientCertificateId, /^[a-z0-9]{6}$/);
  assert.equal(created.description, "js cert");
  assert.deepEqual(created.tags, { team: "web" });
  assert.ok(created.createdDate instanceof Date);
  assert.equal(created.expirationDate - created.createdDate, YEAR_MS);
  const x509 = new X509Certificate(created.pemEncodedCertificate);
  assert.match(x509.subject, /CN=ApiGateway/);
  assert.equal(x509.publicKey.asymmetricKeyDetails.modulusLength, 2048);
  const id = created.clientCertificateId;

  const got = await c.send(new GetClientCertificateCommand({ clientCertificateId: id }));
  assert.equal(got.pemEncodedCertificate, created.pemEncodedCertificate);
  assert.equal(got.createdDate.getTime(), created.createdDate.getTime());

  const listed = await c.send(new GetClientCertificatesCommand({}));
  assert.deepEqual(listed.items.map((i) => i.clientCertificateId), [id]);
  assert.equal(listed.position, undefined);

  const updated = await c.send(
    new UpdateClientCertificateCommand({
      clientCertificateId: id,
      patchOperations: [{ op: "replace", path: "/description", value: "renamed" }],
    }),
  );
  assert.equal(updated.description, "renamed");

  const resourceArn = arn(region, id);
  const tagged = await c.send(new TagResourceCommand({ resourceArn, tags: { env: "prod", owner: "me" } }));
  assert.equal(tagged.$metadata.httpStatusCode, 204);
  let tags = await c.send(new GetTagsCommand({ resourceArn }));
  assert.deepEqual(tags.tags, { env: "prod", owner: "me", team: "web" });
  await c.send(new UntagResourceCommand({ resourceArn, tagKeys: ["owner", "team"] }));
  tags = await c.send(new GetTagsCommand({ resourceArn }));
  assert.deepEqual(tags.tags, { env: "prod" });

  const deleted = await c.send(new DeleteClientCertificateCommand({ clientCertificateId: id }));
  assert.equal(deleted.$metadata.httpStatusCode, 202);
  const gone = await rejection(c.send(new GetClientCertificateCommand({ clientCertificateId: id })));
  assert.ok(gone instanceof NotFoundException, gone.name);
  assert.equal(gone.message, NOT_FOUND);
  assert.equal((await c.send(new GetClientCertificatesCommand({}))).items.length, 0);
});

test("errors arrive as the modelled exceptions", async () => {
  const c = client(server.url, newAccount());
  const missing = await rejection(c.send(new GetClientCertificateCommand({ clientCertificateId: "zzzzzz" })));
  assert.ok(missing instanceof NotFoundException);
  assert.ok(missing instanceof APIGatewayServiceException);
  assert.equal(missing.name, "NotFoundException");
  assert.equal(missing.$metadata.httpStatusCode, 404);
  assert.ok(missing.$metadata.requestId);

  const badTag = await rejection(
    c.send(new GenerateClientCertificateCommand({ tags: { "aws:reserved": "x" } })),
  );
  assert.ok(badTag instanceof BadRequestException, badTag.name);
  assert.equal(badTag.$metadata.httpStatusCode, 400);
  assert.equal(badTag.message, "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)");

  const { clientCertificateId } = await c.send(new GenerateClientCertificateCommand({}));
  const badPatch = await rejection(
    c.send(
      new UpdateClientCertificateCommand({
        clientCertificateId,
        patchOperations: [{ op: "remove", path: "/description" }],
      }),
    ),
  );
  assert.ok(badPatch instanceof BadRequestException, badPatch.name);

  const badLimit = await rejection(c.send(new GetClientCertificatesCommand({ limit: 501 })));
  assert.ok(badLimit instanceof BadRequestException, badLimit.name);

  const otherRegion = await rejection(
    c.send(new GetTagsCommand({ resourceArn: arn("us-west-2", clientCertificateId) })),
  );
  assert.ok(otherRegion instanceof NotFoundException, otherRegion.name);
});

test(`paginateGetClientCertificates walks ${MANY} certificates in pages of ${PAGE}`, async () => {
  const c = client(server.url, newAccount(), "ap-southeast-2");
  const made = new Set();
  // A few at a time: the server generates as many keys at once as it has cores.
  for (let i = 0; i < MANY; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5, MANY - i) }, () => c.send(new GenerateClientCertificateCommand({}))),
    );
    batch.forEach((r) => made.add(r.clientCertificateId));
  }
  assert.equal(made.size, MANY);

  const sizes = [];
  const seen = [];
  for await (const page of paginateGetClientCertificates({ client: c, pageSize: PAGE }, {})) {
    sizes.push(page.items.length);
    seen.push(...page.items.map((i) => i.clientCertificateId));
  }
  const full = Math.floor(MANY / PAGE);
  assert.deepEqual(sizes, [...Array(full).fill(PAGE), MANY % PAGE]);
  assert.equal(seen.length, MANY);
  assert.deepEqual(new Set(seen), made);
  assert.deepEqual(seen, [...seen].sort(), "pages come in id order");
});

test("AWS_ENDPOINT_URL_API_GATEWAY wins over AWS_ENDPOINT_URL, and either alone works", async (t) => {
  t.after(() => {
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_API_GATEWAY;
  });
  // Nothing listens on the discard port, so a call that succeeds followed the other variable.
  const dead = "http://127.0.0.1:9";
  const account = newAccount();

  process.env.AWS_ENDPOINT_URL = dead;
  process.env.AWS_ENDPOINT_URL_API_GATEWAY = server.url;
  const created = await client(undefined, account).send(new GenerateClientCertificateCommand({}));
  assert.match(created.clientCertificateId, /^[a-z0-9]{6}$/);

  delete process.env.AWS_ENDPOINT_URL_API_GATEWAY;
  process.env.AWS_ENDPOINT_URL = server.url;
  const listed = await client(undefined, account).send(new GetClientCertificatesCommand({}));
  assert.deepEqual(listed.items.map((i) => i.clientCertificateId), [created.clientCertificateId]);

  process.env.AWS_ENDPOINT_URL = dead;
  const failed = await rejection(client(undefined, account).send(new GetClientCertificatesCommand({})));
  assert.ok(!(failed instanceof APIGatewayServiceException), "the dead endpoint cannot answer");
});
