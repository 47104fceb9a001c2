#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Assets;
fn main() { sqlx::migrate!(); }
