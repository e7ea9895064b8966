//! `sluice perform` and `sluice test-auth`.

use clap::Args;
use serde_json::Value;
use sluice::error::{Error, Result};
use sluice::files::json_arg;
use sluice::secrets::Settings;
use sluice_core::prepare::{Mapping, MappingChoice};

use super::output::{self, Done};
use super::{Cli, RunFlags};

#[derive(Args)]
pub struct PerformArgs {
    /// Module slug (in the modules directory) or path to a .wasm file.
    module: String,
    /// Action key, e.g. sendEvents.
    action: String,
    /// Settings: JSON, @file or -. Secrets may be {"env": "VAR"} or {"file": "path"}.
    #[arg(long)]
    settings: String,
    /// The action's payload as is (no mapping): JSON, @file or -.
    #[arg(long, conflicts_with_all = ["event", "mapping"])]
    payload: Option<String>,
    /// A Segment event to map into the payload: JSON, @file or -.
    #[arg(long, required_unless_present = "payload")]
    event: Option<String>,
    /// The mapping to use instead of the action's defaults: JSON or @file.
    #[arg(long)]
    mapping: Option<String>,
    /// Merge --mapping over the action's default mapping.
    #[arg(long, requires = "mapping")]
    defaults: bool,
    #[command(flatten)]
    flags: RunFlags,
}

#[derive(Args)]
pub struct TestAuthArgs {
    module: String,
    #[arg(long)]
    settings: String,
    #[command(flatten)]
    flags: RunFlags,
}

fn input(what: &str, arg: &str) -> Result<Value> {
    json_arg(what, arg).map_err(Error::validation)
}

pub async fn perform(cli: &Cli, args: &PerformArgs) -> i32 {
    output::finish(args.flags.json, run_perform(cli, args).await)
}

async fn run_perform(cli: &Cli, args: &PerformArgs) -> Result<Done> {
    let runtime = cli.runtime(&args.flags, 4)?;
    let module = runtime.load(&args.module, &cli.modules).await?;
    let action = module.description.action(&args.action).ok_or_else(|| {
        let known: Vec<&str> = module.description.actions.iter().map(|a| a.key.as_str()).collect();
        Error::validation(format!("{} has no action '{}'; its actions are: {}", module.slug, args.action, known.join(", ")))
    })?;
    let settings = Settings::split(&module.description, &input("settings", &args.settings)?)?;
    let payload = match (&args.payload, &args.event) {
        (Some(p), _) => sluice_core::prepare::validate_payload(action, input("payload", p)?),
        (None, Some(e)) => {
            let choice = match (&args.mapping, args.defaults) {
                (None, _) => MappingChoice::Defaults,
                (Some(m), false) => MappingChoice::Exactly(input("mapping", m)?),
                (Some(m), true) => MappingChoice::OverDefaults(input("mapping", m)?),
            };
            let mapping = Mapping::new(action, choice).map_err(Error::validation)?;
            mapping.payload(action, &input("event", e)?)
        }
        (None, None) => Err("give --payload or --event".to_string()),
    }
    .map_err(|m| Error::validation(settings.redact(&m)))?;
    let client = runtime.client(module.clone(), &settings)?;
    let call = runtime.perform(&client, &action.key, &payload).await;
    Ok(Done::Call { exchanges: call.exchanges, result: call.result.map(|_| ()), dry_run: args.flags.dry_run })
}

pub async fn test_auth(cli: &Cli, args: &TestAuthArgs) -> i32 {
    output::finish(args.flags.json, run_test_auth(cli, args).await)
}

async fn run_test_auth(cli: &Cli, args: &TestAuthArgs) -> Result<Done> {
    let runtime = cli.runtime(&args.flags, 4)?;
    let module = runtime.load(&args.module, &cli.modules).await?;
    let settings = Settings::split(&module.description, &input("settings", &args.settings)?)?;
    if !module.description.tests_authentication {
        return Err(Error::config(format!(
            "{} has no test-authentication: it cannot check credentials, so nothing was checked",
            module.slug
        )));
    }
    let call = runtime.test_authentication(&runtime.client(module, &settings)?).await;
    Ok(Done::Call { exchanges: call.exchanges, result: call.result, dry_run: args.flags.dry_run })
}
