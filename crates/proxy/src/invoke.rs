//! One invocation's path: the stage (from the cache, or the store and the master key), the route on
//! its deployment snapshot, the integration's plan, the backend call through the stage's client,
//! and the answer. Whatever happens, the caller gets an answer API Gateway would give, and the
//! edge gets an [`Invoked`] record of what happened for its log line and metrics; causes go there,
//! never to the caller.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use certgate_core::source::Clock;
use certgate_core::{CertificateId, Scope};
use certgate_pki::seal::{row_context, MasterKey};
use certgate_store::DynStore;

use crate::plan::{self, Context, Failure, Plan};
use crate::route::{Found, Router};
use crate::stages::{Lookup, Resolved, Stages};
use crate::target::Target;
use crate::tls::{Identity, Trust};
use crate::upstream::{Upstream, UpstreamError, Upstreams};
use crate::{gateway, Inbound, Reply};

/// How many stages of one API id the store is asked for: ids are random, so two scopes holding
/// the same one are rare, and a URL without a region takes the first.
const TARGETS: u32 = 8;

/// A certificate this close to its expiry is warned about, once a day per stage.
const WARN_DAYS: i64 = 30;
const DAY: i64 = 86_400;

/// The certificate an invocation presented (or would have, had the backend asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub certificate_id: String,
    /// Whole days until it expires; negative once it has.
    pub days_left: i64,
}

/// Whole days from `now` until `expires`, rounded down: negative once it has passed.
fn days_left(expires: i64, now: i64) -> i64 {
    (expires - now).div_euclid(DAY)
}

/// A new X-Ray trace root, as API Gateway adds one to a request that came without:
/// `Root=1-{seconds in hex}-{24 hex digits}`, the digits the request id's after its first eight
/// (those name the time in a UUIDv7 and are random otherwise), padded with zeros.
pub fn trace_root(request_id: &str, now: i64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(40);
    out.push_str("Root=1-");
    let seconds = now.clamp(0, i64::from(u32::MAX)) as u32;
    for shift in (0..8).rev() {
        out.push(HEX[((seconds >> (shift * 4)) & 0xf) as usize] as char);
    }
    out.push('-');
    let start = out.len();
    let digits = request_id
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .skip(8)
        .take(24);
    for d in digits {
        out.push(d.to_ascii_lowercase() as char);
    }
    while out.len() < start + 24 {
        out.push('0');
    }
    out
}

/// A stage presenting a certificate, for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedBy {
    pub api_id: String,
    pub stage: String,
    pub certificate_id: String,
    pub days_left: i64,
}

/// What one invocation came to, for the edge's log line and metrics.
#[derive(Debug, Clone, Default)]
pub struct Invoked {
    pub api_id: String,
    pub stage: String,
    /// The matched resource's path template, if a resource matched.
    pub resource_path: Option<String>,
    pub status: u16,
    pub backend_status: Option<u16>,
    pub backend_latency: Option<Duration>,
    pub certificate: Option<Presented>,
    /// A short name of what went wrong, for metrics: `timeout`, `connect`, a TLS cause
    /// (`unknown_issuer`, `certificate_refused`, …), `too_large`, `protocol`, `configuration`.
    pub failure: Option<&'static str>,
    /// Why, in words, for the log only.
    pub cause: Option<String>,
    /// Whether the stage exists: metrics count invocations of unknown stages under `-`.
    pub known: bool,
    /// The backend's URI, for TestInvokeMethod's log.
    pub backend_uri: Option<http::Uri>,
}

impl Invoked {
    /// The record of an invocation of `target` that has not got further than its name.
    pub fn of(target: Target<'_>) -> Invoked {
        Invoked {
            api_id: target.api_id.to_string(),
            stage: target.stage.to_string(),
            ..Invoked::default()
        }
    }
}

/// The ids the edge drew for the request, which the backend and the answer carry.
#[derive(Debug, Clone, Copy)]
pub struct RequestIds<'a> {
    pub request_id: &'a str,
    pub trace_id: &'a str,
}

/// The data plane: resolved stages, pooled backend clients, and what it needs to resolve more.
pub struct DataPlane {
    store: DynStore,
    master_key: Arc<MasterKey>,
    clock: Arc<dyn Clock>,
    stages: Arc<Stages>,
    upstreams: Upstreams,
    /// The day each stage was last warned about its certificate's expiry.
    warned: Mutex<HashMap<(String, String), i64>>,
}

impl DataPlane {
    pub fn new(
        store: DynStore,
        master_key: Arc<MasterKey>,
        clock: Arc<dyn Clock>,
        trust: Trust,
    ) -> Arc<DataPlane> {
        let stages = Stages::new(store.changes().clone());
        Arc::new(DataPlane {
            store,
            master_key,
            clock,
            stages,
            upstreams: Upstreams::new(trust),
            warned: Mutex::new(HashMap::new()),
        })
    }

    /// Now, by the data plane's clock.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Every stage this node has resolved that presents a certificate, with the certificate's
    /// days left (negative once expired): what `/metrics` reports at each scrape, so that counting
    /// costs an invocation nothing.
    pub fn presented_certificates(&self) -> Vec<PresentedBy> {
        let now = self.clock.now();
        let mut all: Vec<PresentedBy> = self
            .stages
            .presenting()
            .into_iter()
            .map(|(stage, certificate_id, expires)| PresentedBy {
                api_id: stage.api_id.clone(),
                stage: stage.stage.clone(),
                certificate_id,
                days_left: days_left(expires, now),
            })
            .collect();
        all.sort_by(|a, b| (&a.api_id, &a.stage).cmp(&(&b.api_id, &b.stage)));
        all.dedup_by(|a, b| a.api_id == b.api_id && a.stage == b.stage);
        all
    }

    /// The resolved stages, for tests.
    pub fn stages(&self) -> &Stages {
        &self.stages
    }

    /// Answers one invocation.
    pub async fn invoke(
        &self,
        target: Target<'_>,
        inbound: Inbound,
        ids: RequestIds<'_>,
    ) -> (Reply, Invoked) {
        let mut invoked = Invoked::of(target);
        let reply = match self.resolve(target).await {
            Ok(Some(stage)) => self.run(&stage, &inbound, ids, &mut invoked).await,
            Ok(None) => gateway::missing_authentication_token(),
            Err(cause) => {
                invoked.failure = Some("store");
                invoked.cause = Some(cause);
                gateway::internal_error()
            }
        };
        invoked.status = reply.status;
        (reply, invoked)
    }

    async fn run(
        &self,
        stage: &Resolved,
        inbound: &Inbound,
        ids: RequestIds<'_>,
        invoked: &mut Invoked,
    ) -> Reply {
        invoked.known = true;
        let found = match stage.router.find(inbound.method.as_str(), &inbound.path) {
            Ok(found) => found,
            Err(_) => return gateway::missing_authentication_token(),
        };
        invoked.resource_path = Some(found.resource_path.to_string());
        let context = Context {
            api_id: &stage.api_id,
            stage: &stage.stage,
            stage_variables: &stage.variables,
            request_id: ids.request_id,
            trace_id: ids.trace_id,
        };
        let identity = stage.identity.as_ref().ok().and_then(Option::as_deref);
        let presented = self.presented(&stage.api_id, &stage.stage, identity);
        self.execute(&found, inbound, &context, invoked, presented, |insecure| {
            stage.upstream(&self.upstreams, insecure).cloned()
        })
        .await
    }

    /// Runs a routed request's integration: shared by invocations and TestInvokeMethod, which
    /// differ only in where the route, the variables and the client come from.
    pub(crate) async fn execute(
        &self,
        found: &Found<'_>,
        inbound: &Inbound,
        context: &Context<'_>,
        invoked: &mut Invoked,
        presented: Option<Presented>,
        upstream: impl FnOnce(bool) -> Result<Arc<Upstream>, String>,
    ) -> Reply {
        let planned = match plan::plan(found, inbound, context) {
            Ok(planned) => planned,
            Err(failure) => return self.failed(failure, invoked),
        };
        match planned {
            Plan::Mock(reply) => reply,
            Plan::Forward(forward) => {
                invoked.certificate = presented;
                invoked.backend_uri = Some(forward.request.uri.clone());
                let upstream = match upstream(forward.insecure_skip_verification) {
                    Ok(upstream) => upstream,
                    Err(cause) => {
                        return self.failed(
                            Failure::Internal(format!("the stage's certificate: {cause}")),
                            invoked,
                        )
                    }
                };
                let started = Instant::now();
                let sent = upstream.send(forward.request, forward.timeout).await;
                invoked.backend_latency = Some(started.elapsed());
                match sent {
                    Ok(response) => {
                        invoked.backend_status = Some(response.status);
                        // A HEAD answer has no body but states the length GET's would have: the
                        // backend's, which framing the empty body would otherwise replace with 0.
                        let head_length = (inbound.method == http::Method::HEAD)
                            .then(|| response.headers.get(http::header::CONTENT_LENGTH).cloned())
                            .flatten();
                        let mut reply = plan::respond(
                            found.method,
                            forward.integration,
                            response,
                            forward.proxy,
                        )
                        .unwrap_or_else(|failure| self.failed(failure, invoked));
                        if let Some(length) = head_length.filter(|_| forward.proxy) {
                            reply.headers.insert(http::header::CONTENT_LENGTH, length);
                        }
                        reply
                    }
                    Err(e) => {
                        invoked.failure = Some(e.name());
                        invoked.cause = Some(e.to_string());
                        match e {
                            UpstreamError::Timeout => gateway::timed_out(),
                            _ => gateway::internal_error(),
                        }
                    }
                }
            }
        }
    }

    fn failed(&self, failure: Failure, invoked: &mut Invoked) -> Reply {
        if let Failure::Internal(cause) = &failure {
            invoked.failure = Some("configuration");
            invoked.cause = Some(cause.clone());
        }
        gateway::failure(&failure)
    }

    /// The certificate a stage presents and its days left; warns, once a day per stage, when
    /// it expires within `WARN_DAYS` (an expired certificate is still presented, as AWS does).
    pub(crate) fn presented(
        &self,
        api_id: &str,
        stage: &str,
        identity: Option<&Identity>,
    ) -> Option<Presented> {
        let identity = identity?;
        let now = self.clock.now();
        let left = identity.expires() - now;
        let days_left = days_left(identity.expires(), now);
        if days_left < WARN_DAYS {
            let today = now.div_euclid(DAY);
            let key = (api_id.to_string(), stage.to_string());
            let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
            if warned.get(&key) != Some(&today) {
                warned.insert(key, today);
                let certificate = identity.certificate_id();
                if left < 0 {
                    tracing::warn!(
                        api = api_id,
                        stage,
                        certificate,
                        "the stage presents an expired client certificate"
                    );
                } else {
                    tracing::warn!(
                        api = api_id,
                        stage,
                        certificate,
                        days_left,
                        "the stage's client certificate expires within {WARN_DAYS} days"
                    );
                }
            }
        }
        Some(Presented {
            certificate_id: identity.certificate_id().to_string(),
            days_left,
        })
    }

    /// The stage a target names, from the cache or else the store.
    async fn resolve(&self, target: Target<'_>) -> Result<Option<Arc<Resolved>>, String> {
        if target.stage.is_empty() {
            return Ok(None);
        }
        let epoch = match self
            .stages
            .lookup(target.api_id, target.stage, target.region)
        {
            Lookup::Hit(found) => return Ok(found),
            Lookup::Miss(epoch) => epoch,
        };
        let targets = self
            .store
            .invoke_targets(target.api_id, target.stage, TARGETS)
            .await
            .map_err(|e| format!("reading the stage: {e}"))?;
        let chosen = targets
            .iter()
            .find(|t| Some(t.scope.region.as_str()) == target.region)
            .or_else(|| targets.first().filter(|_| target.region.is_none()));
        let resolved = match chosen {
            Some(t) => Some(Arc::new(self.load(t, target.api_id).await?)),
            None => None,
        };
        self.stages.keep(
            target.api_id,
            target.stage,
            target.region,
            epoch,
            resolved.clone(),
        );
        Ok(resolved)
    }

    async fn load(
        &self,
        target: &certgate_store::InvokeTarget,
        api_id: &str,
    ) -> Result<Resolved, String> {
        let resources: Vec<certgate_api::Resource> = serde_json::from_str(&target.snapshot)
            .map_err(|e| format!("the deployment's snapshot does not parse: {e}"))?;
        let doc: StageDoc = serde_json::from_str(&target.stage.doc)
            .map_err(|e| format!("the stage's document does not parse: {e}"))?;
        let identity = match &target.stage.client_certificate_id {
            Some(id) => self
                .identity(&target.scope, id)
                .await
                .map(|identity| Some(Arc::new(identity))),
            None => Ok(None),
        };
        if let Err(cause) = &identity {
            tracing::error!(api = api_id, stage = %target.stage.name, cause, "the stage's client certificate cannot be presented");
        }
        Ok(Resolved::new(
            target.scope.clone(),
            api_id.to_string(),
            target.stage.name.clone(),
            target.stage.deployment_id.clone(),
            Router::compile(&resources),
            doc.variables.unwrap_or_default(),
            identity,
        ))
    }

    /// The certificate `id` of the scope with its private key, unsealed under the master key.
    pub async fn identity(&self, scope: &Scope, id: &str) -> Result<Identity, String> {
        let id = CertificateId::parse(id).ok_or_else(|| format!("{id} is not a certificate id"))?;
        let certificate = self
            .store
            .get(scope, &id)
            .await
            .map_err(|e| format!("reading certificate {id}: {e}"))?
            .ok_or_else(|| format!("certificate {id} does not exist"))?;
        let sealed = self
            .store
            .private_key(scope, &id)
            .await
            .map_err(|e| format!("reading the key of certificate {id}: {e}"))?
            .ok_or_else(|| format!("certificate {id} has no private key"))?;
        let pkcs8 = self
            .master_key
            .open(sealed.expose(), &row_context(scope, &id))
            .map_err(|e| format!("unsealing the key of certificate {id}: {e}"))?;
        Identity::new(id.as_str(), &certificate.pem, pkcs8, certificate.expires)
    }

    /// The shared pool of backend clients, for TestInvokeMethod.
    pub fn upstreams(&self) -> &Upstreams {
        &self.upstreams
    }
}

/// The members of a stage's document the data plane reads.
#[derive(serde::Deserialize)]
struct StageDoc {
    variables: Option<BTreeMap<String, String>>,
}
