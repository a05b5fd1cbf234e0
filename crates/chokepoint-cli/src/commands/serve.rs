//! `chokepoint serve`: the HTTP JSON API of `chokepoint_server` and its dashboard on one address.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::Context;

#[derive(Args, Debug)]
#[command(
    after_help = "Routes: /api/health, /api/countries, /api/materials, /api/dependency, /api/risk, /api/history, /api/openapi.json (the document describing them), and the dashboard at / (the charts of the HTML report for chosen importers, material, years and watched suppliers; it needs the chart library and map geometry of scripts/web-assets.sh and no other network). Errors are JSON {\"error\", \"kind\"} with 400 (usage), 404, 413 and 500. Stop with Ctrl-C.\n\nExamples:\n  chokepoint serve\n  chokepoint serve --bind 127.0.0.1:9000\n  curl 'http://127.0.0.1:8080/api/dependency?importer=JPN,DEU,JPN%2BDEU&material=cobalt&years=2022'"
)]
pub struct ServeArgs {
    /// Address and port to listen on (HTTP). Anything but a loopback address exposes the API to the network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    bind: SocketAddr,
    /// The directory where `scripts/web-assets.sh` installed the dashboard's chart library and map geometry (else $CHOKEPOINT_WEB_ASSETS, else ~/.cache/chokepoint-web). Without them the dashboard shows the table only.
    #[arg(long, value_name = "DIR")]
    web_assets: Option<PathBuf>,
}

pub async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    if args.bind.port() == 0 {
        // The system picks the port: the server's log line names it once bound.
        ctx.info(format!("serving on {} with a free port (the log line below names it; Ctrl-C stops)", args.bind.ip()));
    } else {
        ctx.info(format!("serving http://{}/ (Ctrl-C stops)", args.bind));
    }
    chokepoint_server::serve(&ctx.data_dir, args.bind, args.web_assets.as_deref()).await.map_err(|e| anyhow::anyhow!("{e}"))
}
