//! Every family's statements in each engine's dialect, made once per process from the one text
//! each family writes (see `sql.rs` for how the dialects differ).

use std::sync::LazyLock;

use crate::sql::Dialect;
use crate::{certificates, keys, restapis, settings, tags};

/// Every statement of every family, in one engine's dialect.
pub(crate) struct Statements {
    pub certificates: certificates::Sql,
    pub keys: keys::Sql,
    pub tags: tags::Sql,
    pub settings: settings::Sql,
    pub restapis: restapis::Sql,
}

impl Statements {
    fn new(dialect: Dialect) -> Self {
        Statements {
            certificates: certificates::Sql::new(dialect),
            keys: keys::Sql::new(dialect),
            tags: tags::Sql::new(dialect),
            settings: settings::Sql::new(dialect),
            restapis: restapis::Sql::new(dialect),
        }
    }

    pub(crate) fn sqlite() -> &'static Statements {
        static SQLITE: LazyLock<Statements> = LazyLock::new(|| Statements::new(Dialect::Sqlite));
        &SQLITE
    }

    pub(crate) fn postgres() -> &'static Statements {
        static POSTGRES: LazyLock<Statements> =
            LazyLock::new(|| Statements::new(Dialect::Postgres));
        &POSTGRES
    }
}
