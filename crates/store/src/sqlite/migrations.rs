//! Versioned schema migrations for SQLite. A migration is never edited once released: a change to the
//! schema is a new entry at the end of the list.

use rusqlite::{Connection, TransactionBehavior};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "client_certificates",
        sql: "
        CREATE TABLE client_certificates (
            account      TEXT    NOT NULL,
            region       TEXT    NOT NULL,
            id           TEXT    NOT NULL,
            description  TEXT,
            pem          TEXT    NOT NULL,
            created_at   INTEGER NOT NULL,
            expires_at   INTEGER NOT NULL,
            tags         TEXT    NOT NULL DEFAULT '{}',
            private_key  BLOB    NOT NULL,
            PRIMARY KEY (account, region, id)
        ) WITHOUT ROWID;
    ",
    },
    Migration {
        version: 2,
        name: "certgate_settings",
        sql: "
        CREATE TABLE certgate_settings (
            name  TEXT PRIMARY KEY,
            value BLOB NOT NULL
        ) WITHOUT ROWID;
    ",
    },
    Migration {
        version: 3,
        name: "rest_apis_deployments_stages",
        sql: "
        CREATE TABLE rest_apis (
            account     TEXT NOT NULL,
            region      TEXT NOT NULL,
            id          TEXT NOT NULL,
            name        TEXT    NOT NULL,
            endpoint    TEXT    NOT NULL,
            created_at  INTEGER  NOT NULL,
            version     INTEGER  NOT NULL,
            api         TEXT    NOT NULL,
            tree        TEXT    NOT NULL,
            tags        TEXT    NOT NULL DEFAULT '{}',
            PRIMARY KEY (account, region, id)
        ) WITHOUT ROWID;
        CREATE TABLE deployments (
            account     TEXT NOT NULL,
            region      TEXT NOT NULL,
            api_id      TEXT NOT NULL,
            id          TEXT NOT NULL,
            created_at  INTEGER  NOT NULL,
            deployment  TEXT    NOT NULL,
            snapshot    TEXT    NOT NULL,
            PRIMARY KEY (account, region, api_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE stages (
            account                TEXT NOT NULL,
            region                 TEXT NOT NULL,
            api_id                 TEXT NOT NULL,
            name                   TEXT NOT NULL,
            deployment_id          TEXT NOT NULL,
            client_certificate_id  TEXT,
            created_at             INTEGER  NOT NULL,
            updated_at             INTEGER  NOT NULL,
            version                INTEGER  NOT NULL,
            stage                  TEXT    NOT NULL,
            tags                   TEXT    NOT NULL DEFAULT '{}',
            PRIMARY KEY (account, region, api_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX stages_by_certificate ON stages (account, region, client_certificate_id);
    ",
    },
    // An invoked URL names the API and the stage but no account: the data plane finds the stage
    // by those two alone.
    Migration {
        version: 4,
        name: "stages_by_api_id",
        sql: "CREATE INDEX stages_by_api_id ON stages (api_id, name);",
    },
];

/// Brings the schema up to date in one immediate transaction, so that two processes starting on the
/// same file cannot both apply a migration. A database written by a newer certgate is refused.
pub fn apply(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS certgate_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL DEFAULT (unixepoch())
        )",
    )?;
    let current: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM certgate_migrations",
        [],
        |r| r.get(0),
    )?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > known {
        return Ok(Err(format!(
            "the database is at schema version {current}, newer than this certgate knows ({known}); upgrade certgate"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO certgate_migrations (version, name) VALUES (?1, ?2)",
            (m.version, m.name),
        )?;
    }
    tx.commit()?;
    Ok(Ok(()))
}
