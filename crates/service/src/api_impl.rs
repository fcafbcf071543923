//! The service as the model's [`Api`]: each generated input becomes the domain call it asks for,
//! and each domain result the generated output shape. This is the one place where model names
//! (strings, optional members) meet domain types (ids that are always well-formed, tags, patch
//! operations, ARNs).

use certgate_api::*;
use certgate_core::{page, Certificate, CertificateId, Error, ResourceArn};

use crate::restapis::patch_operations;
use crate::Service;

/// An id that cannot be a certificate's names no certificate: AWS answers "not found", not a
/// malformed request.
fn certificate_id(raw: &str) -> Result<CertificateId, Error> {
    CertificateId::parse(raw).ok_or_else(Error::certificate_not_found)
}

fn shape(c: Certificate) -> ClientCertificate {
    ClientCertificate {
        client_certificate_id: Some(c.id.as_str().to_string()),
        description: c.description,
        pem_encoded_certificate: Some(c.pem),
        created_date: Some(c.created),
        expiration_date: Some(c.expires),
        // A certificate without tags has no `tags` member, as AWS answers.
        tags: (!c.tags.is_empty()).then_some(c.tags),
    }
}

impl Api for Service {
    async fn generate_client_certificate(
        &self,
        cx: &Context<'_>,
        input: GenerateClientCertificateRequest,
    ) -> Result<ClientCertificate, Error> {
        let tags = input.tags.unwrap_or_default();
        Ok(shape(
            self.generate(cx.scope, input.description, tags).await?,
        ))
    }

    async fn get_client_certificate(
        &self,
        cx: &Context<'_>,
        input: GetClientCertificateRequest,
    ) -> Result<ClientCertificate, Error> {
        let id = certificate_id(&input.client_certificate_id)?;
        Ok(shape(self.get(cx.scope, &id).await?))
    }

    async fn get_client_certificates(
        &self,
        cx: &Context<'_>,
        input: GetClientCertificatesRequest,
    ) -> Result<ClientCertificates, Error> {
        // The wire has already refused a limit out of range; the page rule gives the default.
        let limit = page::parse_limit(input.limit.map(|n| n.to_string()).as_deref())?;
        let (items, position) = self
            .list(cx.scope, input.position.as_deref(), limit)
            .await?;
        Ok(ClientCertificates {
            position,
            items: Some(items.into_iter().map(shape).collect()),
        })
    }

    async fn update_client_certificate(
        &self,
        cx: &Context<'_>,
        input: UpdateClientCertificateRequest,
    ) -> Result<ClientCertificate, Error> {
        let id = certificate_id(&input.client_certificate_id)?;
        let patch = patch_operations(input.patch_operations);
        Ok(shape(self.update(cx.scope, &id, &patch).await?))
    }

    async fn delete_client_certificate(
        &self,
        cx: &Context<'_>,
        input: DeleteClientCertificateRequest,
    ) -> Result<(), Error> {
        let id = certificate_id(&input.client_certificate_id)?;
        self.delete(cx.scope, &id).await
    }

    async fn tag_resource(&self, cx: &Context<'_>, input: TagResourceRequest) -> Result<(), Error> {
        let arn = ResourceArn::parse(&input.resource_arn)?;
        self.tag(cx.scope, &arn, &input.tags).await
    }

    async fn untag_resource(
        &self,
        cx: &Context<'_>,
        input: UntagResourceRequest,
    ) -> Result<(), Error> {
        let arn = ResourceArn::parse(&input.resource_arn)?;
        self.untag(cx.scope, &arn, &input.tag_keys).await
    }

    async fn get_tags(&self, cx: &Context<'_>, input: GetTagsRequest) -> Result<Tags, Error> {
        let arn = ResourceArn::parse(&input.resource_arn)?;
        Ok(Tags {
            tags: Some(self.tags(cx.scope, &arn).await?),
        })
    }

    async fn create_rest_api(
        &self,
        cx: &Context<'_>,
        input: CreateRestApiRequest,
    ) -> Result<RestApi, Error> {
        self.create_rest_api(cx.scope, input).await
    }

    async fn get_rest_api(
        &self,
        cx: &Context<'_>,
        input: GetRestApiRequest,
    ) -> Result<RestApi, Error> {
        self.get_rest_api(cx.scope, &input.rest_api_id).await
    }

    async fn get_rest_apis(
        &self,
        cx: &Context<'_>,
        input: GetRestApisRequest,
    ) -> Result<RestApis, Error> {
        self.get_rest_apis(cx.scope, input.position.as_deref(), input.limit)
            .await
    }

    async fn update_rest_api(
        &self,
        cx: &Context<'_>,
        input: UpdateRestApiRequest,
    ) -> Result<RestApi, Error> {
        let ops = patch_operations(input.patch_operations);
        self.update_rest_api(cx.scope, &input.rest_api_id, &ops)
            .await
    }

    async fn delete_rest_api(
        &self,
        cx: &Context<'_>,
        input: DeleteRestApiRequest,
    ) -> Result<(), Error> {
        self.delete_rest_api(cx.scope, &input.rest_api_id).await
    }

    async fn get_resources(
        &self,
        cx: &Context<'_>,
        input: GetResourcesRequest,
    ) -> Result<Resources, Error> {
        self.get_resources(cx.scope, input).await
    }

    async fn get_resource(
        &self,
        cx: &Context<'_>,
        input: GetResourceRequest,
    ) -> Result<certgate_api::Resource, Error> {
        self.get_resource(cx.scope, input).await
    }

    async fn create_resource(
        &self,
        cx: &Context<'_>,
        input: CreateResourceRequest,
    ) -> Result<certgate_api::Resource, Error> {
        self.create_resource(cx.scope, input).await
    }

    async fn update_resource(
        &self,
        cx: &Context<'_>,
        input: UpdateResourceRequest,
    ) -> Result<certgate_api::Resource, Error> {
        self.update_resource(cx.scope, input).await
    }

    async fn delete_resource(
        &self,
        cx: &Context<'_>,
        input: DeleteResourceRequest,
    ) -> Result<(), Error> {
        self.delete_resource(cx.scope, &input.rest_api_id, &input.resource_id)
            .await
    }

    async fn put_method(&self, cx: &Context<'_>, input: PutMethodRequest) -> Result<Method, Error> {
        self.put_method(cx.scope, input).await
    }

    async fn get_method(&self, cx: &Context<'_>, input: GetMethodRequest) -> Result<Method, Error> {
        self.get_method(
            cx.scope,
            &input.rest_api_id,
            &input.resource_id,
            &input.http_method,
        )
        .await
    }

    async fn update_method(
        &self,
        cx: &Context<'_>,
        input: UpdateMethodRequest,
    ) -> Result<Method, Error> {
        self.update_method(cx.scope, input).await
    }

    async fn delete_method(
        &self,
        cx: &Context<'_>,
        input: DeleteMethodRequest,
    ) -> Result<(), Error> {
        self.delete_method(
            cx.scope,
            &input.rest_api_id,
            &input.resource_id,
            &input.http_method,
        )
        .await
    }

    async fn put_method_response(
        &self,
        cx: &Context<'_>,
        input: PutMethodResponseRequest,
    ) -> Result<MethodResponse, Error> {
        self.put_method_response(cx.scope, input).await
    }

    async fn get_method_response(
        &self,
        cx: &Context<'_>,
        input: GetMethodResponseRequest,
    ) -> Result<MethodResponse, Error> {
        self.get_method_response(cx.scope, input).await
    }

    async fn update_method_response(
        &self,
        cx: &Context<'_>,
        input: UpdateMethodResponseRequest,
    ) -> Result<MethodResponse, Error> {
        self.update_method_response(cx.scope, input).await
    }

    async fn delete_method_response(
        &self,
        cx: &Context<'_>,
        input: DeleteMethodResponseRequest,
    ) -> Result<(), Error> {
        self.delete_method_response(cx.scope, input).await
    }

    async fn put_integration(
        &self,
        cx: &Context<'_>,
        input: PutIntegrationRequest,
    ) -> Result<Integration, Error> {
        self.put_integration(cx.scope, input).await
    }

    async fn get_integration(
        &self,
        cx: &Context<'_>,
        input: GetIntegrationRequest,
    ) -> Result<Integration, Error> {
        self.get_integration(
            cx.scope,
            &input.rest_api_id,
            &input.resource_id,
            &input.http_method,
        )
        .await
    }

    async fn update_integration(
        &self,
        cx: &Context<'_>,
        input: UpdateIntegrationRequest,
    ) -> Result<Integration, Error> {
        self.update_integration(cx.scope, input).await
    }

    async fn delete_integration(
        &self,
        cx: &Context<'_>,
        input: DeleteIntegrationRequest,
    ) -> Result<(), Error> {
        self.delete_integration(
            cx.scope,
            &input.rest_api_id,
            &input.resource_id,
            &input.http_method,
        )
        .await
    }

    async fn put_integration_response(
        &self,
        cx: &Context<'_>,
        input: PutIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, Error> {
        self.put_integration_response(cx.scope, input).await
    }

    async fn get_integration_response(
        &self,
        cx: &Context<'_>,
        input: GetIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, Error> {
        self.get_integration_response(cx.scope, input).await
    }

    async fn update_integration_response(
        &self,
        cx: &Context<'_>,
        input: UpdateIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, Error> {
        self.update_integration_response(cx.scope, input).await
    }

    async fn delete_integration_response(
        &self,
        cx: &Context<'_>,
        input: DeleteIntegrationResponseRequest,
    ) -> Result<(), Error> {
        self.delete_integration_response(cx.scope, input).await
    }

    async fn create_deployment(
        &self,
        cx: &Context<'_>,
        input: CreateDeploymentRequest,
    ) -> Result<Deployment, Error> {
        self.create_deployment(cx.scope, input).await
    }

    async fn get_deployment(
        &self,
        cx: &Context<'_>,
        input: GetDeploymentRequest,
    ) -> Result<Deployment, Error> {
        self.get_deployment(cx.scope, input).await
    }

    async fn get_deployments(
        &self,
        cx: &Context<'_>,
        input: GetDeploymentsRequest,
    ) -> Result<Deployments, Error> {
        self.get_deployments(cx.scope, input).await
    }

    async fn update_deployment(
        &self,
        cx: &Context<'_>,
        input: UpdateDeploymentRequest,
    ) -> Result<Deployment, Error> {
        self.update_deployment(cx.scope, input).await
    }

    async fn delete_deployment(
        &self,
        cx: &Context<'_>,
        input: DeleteDeploymentRequest,
    ) -> Result<(), Error> {
        self.delete_deployment(cx.scope, &input.rest_api_id, &input.deployment_id)
            .await
    }

    async fn create_stage(
        &self,
        cx: &Context<'_>,
        input: CreateStageRequest,
    ) -> Result<Stage, Error> {
        self.create_stage(cx.scope, input).await
    }

    async fn get_stage(&self, cx: &Context<'_>, input: GetStageRequest) -> Result<Stage, Error> {
        self.get_stage(cx.scope, &input.rest_api_id, &input.stage_name)
            .await
    }

    async fn get_stages(&self, cx: &Context<'_>, input: GetStagesRequest) -> Result<Stages, Error> {
        self.get_stages(cx.scope, &input.rest_api_id, input.deployment_id.as_deref())
            .await
    }

    async fn update_stage(
        &self,
        cx: &Context<'_>,
        input: UpdateStageRequest,
    ) -> Result<Stage, Error> {
        self.update_stage(cx.scope, input).await
    }

    async fn delete_stage(&self, cx: &Context<'_>, input: DeleteStageRequest) -> Result<(), Error> {
        self.delete_stage(cx.scope, &input.rest_api_id, &input.stage_name)
            .await
    }

    async fn test_invoke_method(
        &self,
        cx: &Context<'_>,
        input: TestInvokeMethodRequest,
    ) -> Result<TestInvokeMethodResponse, Error> {
        self.test_invoke_method(cx.scope, input).await
    }
}
