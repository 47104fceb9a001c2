// serves ./static with tower_http::services::ServeDir
fn main() {}
