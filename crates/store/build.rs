// `sqlx::migrate!` embeds the migration files when the store compiles; Cargo does not know
// that, so without this a new migration file would not rebuild the store (and a build would
// run without it).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
