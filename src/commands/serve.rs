//! `agentctl serve`: the HTTP front end of SPEC 12. The tokio runtime is built here and only
//! here, so no other command pays for it at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::Context;
use crate::error::{Error, Result};
use crate::serve;

/// Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; port 0 picks a free port
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7070")]
    pub listen: SocketAddr,

    /// Require `Authorization: Bearer` with a token from this file (one `NAME:SECRET` or
    /// `SECRET` per line) [env: AGENTCTL_SERVE_TOKEN gives one token]
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Answer 405 to every write
    #[arg(long)]
    pub read_only: bool,
}

pub fn cmd_serve(ctx: &Context, args: Args) -> Result<u8> {
    let tokens = serve::auth::Tokens::load(args.token_file.as_deref())?;
    if !args.listen.ip().is_loopback() && tokens.is_none() {
        return Err(Error::new(format!(
            "refusing to serve on {} without a token: anyone who can reach it could publish",
            args.listen
        ))
        .hint("give --token-file PATH (or AGENTCTL_SERVE_TOKEN), or listen on 127.0.0.1"));
    }
    // Fail now, not on the first request, when this is not a workspace.
    let workspace = ctx.workspace()?;
    serve::start_log()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the server's runtime: {e}")))?;
    let config = serve::Config {
        root: workspace.root.clone(),
        global: ctx.global.clone(),
        user: ctx.user.clone(),
        tokens,
        read_only: args.read_only,
        store: ctx.store_location(&workspace),
        request_timeout: serve::request_timeout()?,
    };
    runtime.block_on(serve::run(config, args.listen, ctx.ui))?;
    Ok(0)
}
