//! The API without the CLI: `cargo run -p chokepoint-server --example serve -- --data-dir DIR serve --bind 127.0.0.1:8080`
//! (the argument shape of `chokepoint serve`, so that `bench/api_load.sh` can run either).

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let data_dir = value("--data-dir").ok_or("--data-dir DIR is required")?;
    let bind = value("--bind").unwrap_or_else(|| "127.0.0.1:8080".into()).parse()?;
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(chokepoint_server::serve(
        data_dir.as_ref(),
        bind,
        value("--web-assets").as_deref().map(std::path::Path::new),
    ))
}
