const DEFAULTS: &str = include_str!("../config/defaults.toml");
fn main() { print!("{DEFAULTS}"); }
