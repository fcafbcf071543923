// Invoking a stage and TestInvokeMethod through the AWS SDK for JavaScript v3: a MOCK integration
// answers from its templates, deployed to a stage that is invoked by both URL forms with fetch,
// and tested undeployed with TestInvokeMethod.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  TestInvokeMethodCommand,
} from "@aws-sdk/client-api-gateway";
import { client, newAccount, startServer } from "./certgate.js";

let server;
before(async () => {
  server = await startServer({});
});
after(async () => {
  await server?.stop();
});

test("a MOCK method answers its template when invoked and when tested", async () => {
  const c = client(server.url, newAccount(), "us-east-1");
  const api = await c.send(new CreateRestApiCommand({ name: "js-mock" }));
  const pets = await c.send(
    new CreateResourceCommand({ restApiId: api.id, parentId: api.rootResourceId, pathPart: "pets" }),
  );
  const method = { restApiId: api.id, resourceId: pets.id, httpMethod: "GET" };
  await c.send(new PutMethodCommand({ ...method, authorizationType: "NONE" }));
  await c.send(new PutMethodResponseCommand({ ...method, statusCode: "200" }));
  await c.send(
    new PutIntegrationCommand({
      ...method,
      type: "MOCK",
      requestTemplates: { "application/json": '{"statusCode": 200}' },
    }),
  );
  await c.send(
    new PutIntegrationResponseCommand({
      ...method,
      statusCode: "200",
      responseTemplates: { "application/json": '{"pets": ["cat", "dog"]}' },
    }),
  );

  const tested = await c.send(new TestInvokeMethodCommand({ ...method, pathWithQueryString: "/pets" }));
  assert.equal(tested.status, 200);
  assert.equal(tested.body, '{"pets": ["cat", "dog"]}');
  assert.equal(tested.headers["Content-Type"], "application/json");
  assert.match(tested.log, /Method completed with status: 200/);
  assert.equal(typeof tested.latency, "number");

  await c.send(new CreateDeploymentCommand({ restApiId: api.id, stageName: "test" }));
  const local = await fetch(`${server.url}/restapis/${api.id}/test/_user_request_/pets`);
  assert.equal(local.status, 200);
  assert.equal(await local.text(), '{"pets": ["cat", "dog"]}');
  assert.ok(local.headers.get("x-amzn-requestid"));
  assert.match(local.headers.get("x-amz-apigw-id"), /^[A-Za-z0-9+/]{15}=$/);

  const missing = await fetch(`${server.url}/restapis/${api.id}/test/_user_request_/cats`);
  assert.equal(missing.status, 403);
  assert.deepEqual(await missing.json(), { message: "Missing Authentication Token" });
  assert.equal(missing.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
});
