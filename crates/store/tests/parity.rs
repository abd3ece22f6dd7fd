//! Migration parity: after every migration, SQLite and PostgreSQL have the same tables, and
//! each table the same columns. (Types differ by dialect; names must not.)

use std::collections::BTreeMap;

use store::{PoolSettings, Store};

#[path = "../../../app/tests/support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

type Schema = BTreeMap<String, Vec<String>>;

async fn schema(kind: Kind) -> Schema {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store.close().await;
    let rows: Vec<(String, String)> = match kind {
        Kind::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&database.url).await.unwrap();
            let rows = sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            rows
        }
        Kind::Postgres => {
            let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
            let rows = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            rows
        }
    };
    let mut schema = Schema::new();
    for (table, column) in rows {
        schema.entry(table).or_default().push(column);
    }
    for columns in schema.values_mut() {
        columns.sort();
    }
    schema
}

#[tokio::test]
async fn both_databases_have_the_same_tables_and_columns() {
    let sqlite = schema(Kind::Sqlite).await;
    let postgres = schema(Kind::Postgres).await;
    assert!(sqlite.len() > 10, "too few tables read: {sqlite:?}");
    let tables = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(tables(&sqlite), tables(&postgres), "the tables differ");
    for (table, columns) in &sqlite {
        assert_eq!(
            Some(columns),
            postgres.get(table),
            "the columns of {table} differ"
        );
    }
}
