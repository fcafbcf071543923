//! The tag family: tags of any taggable resource, addressed by its kind and id, so that tagging
//! is not tied to certificates. Each resource keeps its tags as a JSON object in a `tags` column of
//! its own row: a read of the resource (GetClientCertificate) then gets its tags with no second
//! query or join, and a tag change locks exactly the row it changes.
//!
//! A new taggable kind is a [`Resource`] variant and its row in [`ResourceKind::table`]; the
//! statements, the merge and the 50-tag check below serve it unchanged, on both engines.

use async_trait::async_trait;
use certgate_core::{CertificateId, Scope, Tags};

use crate::sql::{malformed, Columns, Dialect, Value};
use crate::{Result, StoreError};

/// The kinds of resource that carry tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    ClientCertificate,
    RestApi,
    Stage,
}

impl ResourceKind {
    /// Every kind, in the order of their discriminants (which index [`Sql`]).
    pub const ALL: &'static [ResourceKind] = &[
        ResourceKind::ClientCertificate,
        ResourceKind::RestApi,
        ResourceKind::Stage,
    ];

    /// The kind's table and the columns that, after account and region, name one of its rows.
    fn table(self) -> (&'static str, &'static [&'static str]) {
        match self {
            ResourceKind::ClientCertificate => ("client_certificates", &["id"]),
            ResourceKind::RestApi => ("rest_apis", &["id"]),
            ResourceKind::Stage => ("stages", &["api_id", "name"]),
        }
    }
}

/// One taggable resource of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    ClientCertificate(&'a CertificateId),
    RestApi(&'a str),
    Stage { api_id: &'a str, name: &'a str },
}

impl Resource<'_> {
    pub fn kind(&self) -> ResourceKind {
        match self {
            Resource::ClientCertificate(_) => ResourceKind::ClientCertificate,
            Resource::RestApi(_) => ResourceKind::RestApi,
            Resource::Stage { .. } => ResourceKind::Stage,
        }
    }

    /// What a change of this resource's tags announces on the change feed.
    pub(crate) fn change(&self) -> (crate::ChangeKind, String) {
        match self {
            Resource::ClientCertificate(id) => (
                crate::ChangeKind::ClientCertificate,
                id.as_str().to_string(),
            ),
            Resource::RestApi(id) => (crate::ChangeKind::RestApi, (*id).to_string()),
            Resource::Stage { api_id, name } => {
                (crate::ChangeKind::Stage, format!("{api_id}/{name}"))
            }
        }
    }

    /// The values of the kind's key columns, in their order.
    fn key(&self) -> Vec<&str> {
        match self {
            Resource::ClientCertificate(id) => vec![id.as_str()],
            Resource::RestApi(id) => vec![id],
            Resource::Stage { api_id, name } => vec![api_id, name],
        }
    }
}

/// A change to a resource's tags, computed on the tags as they are inside the engine's
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// Merges the tags in (a key given again takes the new value), refusing with `TooManyTags` if
    /// the result would carry more than `max_tags`.
    Add { tags: Tags, max_tags: usize },
    /// Removes the keys; absent keys are ignored.
    Remove { keys: Vec<String> },
}

impl TagChange {
    /// The tags after the change. Every engine calls this between its locked read and its write,
    /// so the limit is checked against what is committed, not against what a caller saw earlier.
    pub(crate) fn apply(self, mut current: Tags) -> Result<Tags> {
        match self {
            TagChange::Add { tags, max_tags } => {
                current.extend(tags);
                if current.len() > max_tags {
                    return Err(StoreError::TooManyTags {
                        count: current.len(),
                        limit: max_tags,
                    });
                }
            }
            TagChange::Remove { keys } => {
                for k in &keys {
                    current.remove(k);
                }
            }
        }
        Ok(current)
    }
}

#[async_trait]
pub trait TagStore: Send + Sync {
    /// The resource's tags, or `None` if there is no such resource.
    async fn tags(&self, scope: &Scope, resource: Resource<'_>) -> Result<Option<Tags>>;

    /// Applies `change` to the resource's tags in one transaction and returns the resulting tags;
    /// `NotFound` if there is no such resource. Concurrent changes never lose each other's writes.
    async fn change_tags(
        &self,
        scope: &Scope,
        resource: Resource<'_>,
        change: TagChange,
    ) -> Result<Tags>;

    /// See [`TagChange::Add`].
    async fn add_tags(
        &self,
        scope: &Scope,
        resource: Resource<'_>,
        tags: &Tags,
        max_tags: usize,
    ) -> Result<Tags> {
        let change = TagChange::Add {
            tags: tags.clone(),
            max_tags,
        };
        self.change_tags(scope, resource, change).await
    }

    /// See [`TagChange::Remove`].
    async fn remove_tags(
        &self,
        scope: &Scope,
        resource: Resource<'_>,
        keys: &[String],
    ) -> Result<Tags> {
        let change = TagChange::Remove {
            keys: keys.to_vec(),
        };
        self.change_tags(scope, resource, change).await
    }
}

/// The statements of one kind.
pub(crate) struct KindSql {
    /// The tags, for a plain read.
    pub read: String,
    /// The tags, holding the row until the transaction ends (see [`Dialect::lock_rows`]).
    pub read_for_update: String,
    /// Replaces the tags; the JSON is the last parameter, after the key.
    pub write: String,
}

pub(crate) struct Sql {
    by_kind: Vec<KindSql>,
}

impl Sql {
    pub(crate) fn new(d: Dialect) -> Self {
        let by_kind = ResourceKind::ALL
            .iter()
            .map(|kind| {
                let (table, columns) = kind.table();
                let mut key = String::from("account = $1 AND region = $2");
                for (n, column) in columns.iter().enumerate() {
                    key.push_str(&format!(" AND {column} = ${}", n + 3));
                }
                let json = columns.len() + 3;
                let read = format!("SELECT tags FROM {table} WHERE {key}");
                KindSql {
                    read_for_update: d.statement(&format!("{read}{}", d.lock_rows())),
                    read: d.statement(&read),
                    write: d.statement(&format!("UPDATE {table} SET tags = ${json} WHERE {key}")),
                }
            })
            .collect();
        Sql { by_kind }
    }

    pub(crate) fn of(&self, kind: ResourceKind) -> &KindSql {
        // `ALL` lists every kind in discriminant order, so this index is always present.
        &self.by_kind[kind as usize]
    }
}

/// The scope and the resource's key, as [`KindSql`]'s statements take them.
pub(crate) fn key_params(scope: &Scope, resource: Resource<'_>) -> Vec<Value> {
    let mut params = vec![scope.account.as_str().into(), scope.region.as_str().into()];
    params.extend(resource.key().into_iter().map(Value::from));
    params
}

pub(crate) fn encode(tags: &Tags) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| StoreError::Backend(e.to_string()))
}

pub(crate) fn decode(json: &str) -> Result<Tags> {
    serde_json::from_str(json).map_err(|_| malformed("tag set"))
}

/// A row of [`KindSql::read`].
pub(crate) fn tags(row: &impl Columns) -> Result<Tags> {
    decode(&row.text(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_statements_at_its_index() {
        for (n, kind) in ResourceKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, n);
        }
        let sql = Sql::new(Dialect::Postgres);
        let c = sql.of(ResourceKind::ClientCertificate);
        assert_eq!(
            c.read_for_update,
            "SELECT tags FROM client_certificates WHERE account = $1 AND region = $2 AND id = $3 FOR UPDATE"
        );
        assert_eq!(
            c.write,
            "UPDATE client_certificates SET tags = $4 WHERE account = $1 AND region = $2 AND id = $3"
        );
        let sql = Sql::new(Dialect::Sqlite);
        assert!(!sql
            .of(ResourceKind::ClientCertificate)
            .read_for_update
            .contains("FOR UPDATE"));
    }

    #[test]
    fn the_limit_is_checked_after_the_merge() {
        let current: Tags = [("a".to_string(), "1".to_string())].into();
        let again = TagChange::Add {
            tags: current.clone(),
            max_tags: 1,
        };
        assert_eq!(again.apply(current.clone()).unwrap(), current);
        let more = TagChange::Add {
            tags: [("b".to_string(), String::new())].into(),
            max_tags: 1,
        };
        assert!(matches!(
            more.apply(current),
            Err(StoreError::TooManyTags { count: 2, limit: 1 })
        ));
    }
}
