// A REST API through the AWS SDK for JavaScript v3, from create to a stage presenting a client
// certificate, then detached and destroyed in Terraform's order.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ConflictException,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteClientCertificateCommand,
  DeleteDeploymentCommand,
  DeleteRestApiCommand,
  DeleteStageCommand,
  GenerateClientCertificateCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetStageCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { client, newAccount, startServer } from "./certgate.js";

let server;
before(async () => {
  server = await startServer({});
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

test("a stage takes a client certificate, keeps it from deletion, and lets it go", async () => {
  const c = client(server.url, newAccount(), "us-west-2");
  const cert = (await c.send(new GenerateClientCertificateCommand({}))).clientCertificateId;
  const api = await c.send(new CreateRestApiCommand({ name: "js-api", tags: { team: "web" } }));
  assert.equal(api.$metadata.httpStatusCode, 201);
  assert.match(api.id, /^[a-z0-9]{10}$/);
  assert.deepEqual(api.endpointConfiguration, { types: ["EDGE"], ipAddressType: "ipv4" });
  assert.ok(api.createdDate instanceof Date);
  const proxy = await c.send(
    new CreateResourceCommand({ restApiId: api.id, parentId: api.rootResourceId, pathPart: "{proxy+}" }),
  );
  assert.equal(proxy.path, "/{proxy+}");
  await c.send(
    new PutMethodCommand({
      restApiId: api.id,
      resourceId: proxy.id,
      httpMethod: "ANY",
      authorizationType: "NONE",
      requestParameters: { "method.request.path.proxy": true },
    }),
  );
  const integration = await c.send(
    new PutIntegrationCommand({
      restApiId: api.id,
      resourceId: proxy.id,
      httpMethod: "ANY",
      type: "HTTP_PROXY",
      integrationHttpMethod: "ANY",
      uri: "https://backend.example/{proxy}",
      requestParameters: { "integration.request.path.proxy": "method.request.path.proxy" },
    }),
  );
  assert.equal(integration.timeoutInMillis, 29000);
  assert.equal(integration.connectionType, "INTERNET");
  const resources = await c.send(new GetResourcesCommand({ restApiId: api.id, embed: ["methods"] }));
  assert.deepEqual(resources.items.map((r) => r.path).sort(), ["/", "/{proxy+}"]);

  const deployment = await c.send(new CreateDeploymentCommand({ restApiId: api.id, description: "" }));
  const stage = await c.send(
    new CreateStageCommand({ restApiId: api.id, stageName: "prod", deploymentId: deployment.id }),
  );
  assert.equal(stage.clientCertificateId, undefined);
  const attached = await c.send(
    new UpdateStageCommand({
      restApiId: api.id,
      stageName: "prod",
      patchOperations: [{ op: "replace", path: "/clientCertificateId", value: cert }],
    }),
  );
  assert.equal(attached.clientCertificateId, cert);
  const refused = await rejection(c.send(new DeleteClientCertificateCommand({ clientCertificateId: cert })));
  assert.ok(refused instanceof ConflictException, refused.name);
  assert.equal(refused.$metadata.httpStatusCode, 409);
  assert.match(refused.message, new RegExp(`stage prod of ${api.id}`));

  const detached = await c.send(
    new UpdateStageCommand({
      restApiId: api.id,
      stageName: "prod",
      patchOperations: [{ op: "replace", path: "/clientCertificateId", value: "" }],
    }),
  );
  assert.equal(detached.clientCertificateId, undefined);
  const read = await c.send(new GetStageCommand({ restApiId: api.id, stageName: "prod" }));
  assert.equal(read.clientCertificateId, undefined);

  await c.send(new DeleteStageCommand({ restApiId: api.id, stageName: "prod" }));
  await c.send(new DeleteDeploymentCommand({ restApiId: api.id, deploymentId: deployment.id }));
  await c.send(new DeleteClientCertificateCommand({ clientCertificateId: cert }));
  const gone = await c.send(new DeleteRestApiCommand({ restApiId: api.id }));
  assert.equal(gone.$metadata.httpStatusCode, 202);
  const missing = await rejection(c.send(new GetRestApiCommand({ restApiId: api.id })));
  assert.ok(missing instanceof NotFoundException, missing.name);
  assert.match(missing.message, new RegExp(`Invalid API identifier specified \\d{12}:${api.id}`));
});
