//! The service as the model's [`Api`]: each generated input becomes the domain call it asks for,
//! and each domain result the generated output shape. This is the one place where model names
//! (strings, optional members) meet domain types (ids that are always well-formed, tags, patch
//! operations, ARNs).

use certgate_api::{
    Api, ClientCertificate, ClientCertificates, Context, DeleteClientCertificateRequest,
    GenerateClientCertificateRequest, GetClientCertificateRequest, GetClientCertificatesRequest,
    GetTagsRequest, TagResourceRequest, Tags as TagsOutput, UntagResourceRequest,
    UpdateClientCertificateRequest,
};
use certgate_core::patch::PatchOperation;
use certgate_core::{
    page, Certificate, CertificateId, Error, NotFound, Region, ResourceArn, Scope,
};

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

/// The certificate a tag request's ARN names. REST APIs and stages are tag targets whose ARNs
/// parse, but none is stored yet, so each is answered as its kind's not found.
fn tagged_certificate(scope: &Scope, arn: &str) -> Result<(Region, CertificateId), Error> {
    match ResourceArn::parse(arn)? {
        ResourceArn::ClientCertificate { region, id } => Ok((region, id)),
        ResourceArn::RestApi { rest_api_id, .. } => Err(Error::not_found(NotFound::RestApi {
            account: scope.account.as_str(),
            id: &rest_api_id,
        })),
        ResourceArn::Stage { .. } => Err(Error::not_found(NotFound::Stage)),
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
        let patch: Vec<PatchOperation> = input
            .patch_operations
            .unwrap_or_default()
            .into_iter()
            .map(|p| PatchOperation {
                op: p.op,
                path: p.path,
                value: p.value,
                from: p.from,
            })
            .collect();
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
        let (region, id) = tagged_certificate(cx.scope, &input.resource_arn)?;
        self.tag(cx.scope, &region, &id, &input.tags).await
    }

    async fn untag_resource(
        &self,
        cx: &Context<'_>,
        input: UntagResourceRequest,
    ) -> Result<(), Error> {
        let (region, id) = tagged_certificate(cx.scope, &input.resource_arn)?;
        self.untag(cx.scope, &region, &id, &input.tag_keys).await
    }

    async fn get_tags(&self, cx: &Context<'_>, input: GetTagsRequest) -> Result<TagsOutput, Error> {
        let (region, id) = tagged_certificate(cx.scope, &input.resource_arn)?;
        Ok(TagsOutput {
            tags: Some(self.tags(cx.scope, &region, &id).await?),
        })
    }
}
