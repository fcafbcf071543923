//! Versioned schema migrations for PostgreSQL, the same tables as SQLite's. A migration is never
//! edited once released: a change to the schema is a new entry at the end of the list.

use deadpool_postgres::{ClientWrapper, Transaction};

use super::pg_error;
use crate::{Result, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Identifiers are compared byte-wise (`COLLATE "C"`), as in SQLite, so that keyset pages and scans
/// come in the same order on both engines whatever the database's locale.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "client_certificates",
        sql: r#"
        CREATE TABLE client_certificates (
            account      TEXT COLLATE "C" NOT NULL,
            region       TEXT COLLATE "C" NOT NULL,
            id           TEXT COLLATE "C" NOT NULL,
            description  TEXT,
            pem          TEXT    NOT NULL,
            created_at   BIGINT  NOT NULL,
            expires_at   BIGINT  NOT NULL,
            tags         TEXT    NOT NULL DEFAULT '{}',
            private_key  BYTEA   NOT NULL,
            PRIMARY KEY (account, region, id)
        );
    "#,
    },
    Migration {
        version: 2,
        name: "certgate_settings",
        sql: r#"
        CREATE TABLE certgate_settings (
            name  TEXT COLLATE "C" PRIMARY KEY,
            value BYTEA NOT NULL
        );
    "#,
    },
    Migration {
        version: 3,
        name: "rest_apis_deployments_stages",
        sql: r#"
        CREATE TABLE rest_apis (
            account     TEXT COLLATE "C" NOT NULL,
            region      TEXT COLLATE "C" NOT NULL,
            id          TEXT COLLATE "C" NOT NULL,
            name        TEXT    NOT NULL,
            endpoint    TEXT    NOT NULL,
            created_at  BIGINT   NOT NULL,
            version     BIGINT   NOT NULL,
            api         TEXT    NOT NULL,
            tree        TEXT    NOT NULL,
            tags        TEXT    NOT NULL DEFAULT '{}',
            PRIMARY KEY (account, region, id)
        );
        CREATE TABLE deployments (
            account     TEXT COLLATE "C" NOT NULL,
            region      TEXT COLLATE "C" NOT NULL,
            api_id      TEXT COLLATE "C" NOT NULL,
            id          TEXT COLLATE "C" NOT NULL,
            created_at  BIGINT   NOT NULL,
            deployment  TEXT    NOT NULL,
            snapshot    TEXT    NOT NULL,
            PRIMARY KEY (account, region, api_id, id)
        );
        CREATE TABLE stages (
            account                TEXT COLLATE "C" NOT NULL,
            region                 TEXT COLLATE "C" NOT NULL,
            api_id                 TEXT COLLATE "C" NOT NULL,
            name                   TEXT COLLATE "C" NOT NULL,
            deployment_id          TEXT COLLATE "C" NOT NULL,
            client_certificate_id  TEXT COLLATE "C",
            created_at             BIGINT   NOT NULL,
            updated_at             BIGINT   NOT NULL,
            version                BIGINT   NOT NULL,
            stage                  TEXT    NOT NULL,
            tags                   TEXT    NOT NULL DEFAULT '{}',
            PRIMARY KEY (account, region, api_id, name)
        );
        CREATE INDEX stages_by_certificate ON stages (account, region, client_certificate_id);
    "#,
    },
    // The change feed across nodes (`listen.rs`): every written row of a cached table is announced
    // on `certgate_changes` as 'SCHEMA KIND ACCOUNT REGION KEY', delivered when its transaction
    // commits. The function is one for every table: a trigger passes its kind and the columns
    // that, after account and region, name a row (joined by '/'), so a new family adds only its
    // trigger.
    Migration {
        version: 4,
        name: "change_notifications",
        sql: r#"
        CREATE FUNCTION certgate_notify_change() RETURNS trigger LANGUAGE plpgsql AS $body$
        DECLARE
            r   JSONB;
            key TEXT := '';
        BEGIN
            IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
            FOR i IN 1 .. TG_NARGS - 1 LOOP
                IF i > 1 THEN key := key || '/'; END IF;
                key := key || (r ->> TG_ARGV[i]);
            END LOOP;
            PERFORM pg_notify('certgate_changes', TG_TABLE_SCHEMA || ' ' || TG_ARGV[0] || ' '
                || (r ->> 'account') || ' ' || (r ->> 'region') || ' ' || key);
            RETURN NULL;
        END
        $body$;
        CREATE TRIGGER client_certificates_changes
            AFTER INSERT OR UPDATE OR DELETE ON client_certificates
            FOR EACH ROW EXECUTE FUNCTION certgate_notify_change('client-certificate', 'id');
        CREATE TRIGGER rest_apis_changes
            AFTER INSERT OR UPDATE OR DELETE ON rest_apis
            FOR EACH ROW EXECUTE FUNCTION certgate_notify_change('rest-api', 'id');
        CREATE TRIGGER stages_changes
            AFTER INSERT OR UPDATE OR DELETE ON stages
            FOR EACH ROW EXECUTE FUNCTION certgate_notify_change('stage', 'api_id', 'name');
    "#,
    },
    // An invoked URL names the API and the stage but no account: the data plane finds the stage
    // by those two alone.
    Migration {
        version: 5,
        name: "stages_by_api_id",
        sql: "CREATE INDEX stages_by_api_id ON stages (api_id, name);",
    },
];

/// The advisory lock every node takes before it looks at the schema version. It is one key for the
/// whole database (advisory locks are not per schema); nodes only hold it for the moment of
/// start-up.
const MIGRATION_LOCK: i64 = 0x6365_7274_6d69_6772; // "certmigr"

/// Brings the schema up to date in one transaction under an advisory lock, so that several nodes
/// starting at once apply each migration exactly once: the others wait, then find nothing to do. A
/// database written by a newer certgate is refused.
pub async fn apply(client: &mut ClientWrapper, schema: Option<&str>) -> Result<()> {
    let tx = client.transaction().await.map_err(pg_error)?;
    match migrate(&tx, schema).await {
        Ok(()) => tx.commit().await.map_err(pg_error),
        Err(e) => {
            // Roll back now rather than when the transaction is dropped, so the lock is free for
            // the next node before this one reports its error (and perhaps exits).
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn migrate(tx: &Transaction<'_>, schema: Option<&str>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_error)?;
    if let Some(schema) = schema {
        // The name was checked to be a plain identifier when the URL was parsed.
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await
            .map_err(pg_error)?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS certgate_migrations (
            version    BIGINT      PRIMARY KEY,
            name       TEXT        NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(pg_error)?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM certgate_migrations",
            &[],
        )
        .await
        .map_err(pg_error)?
        .try_get(0)
        .map_err(pg_error)?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > known {
        return Err(StoreError::Backend(format!(
            "the database is at schema version {current}, newer than this certgate knows ({known}); upgrade certgate"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql).await.map_err(pg_error)?;
        tx.execute(
            "INSERT INTO certgate_migrations (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .await
        .map_err(pg_error)?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}
