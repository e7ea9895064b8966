//! The rate budget against a loopback server: a burst of 300 Talon.One
//! requests from concurrent calls never puts more than 60 in any one-second
//! window at the server, and finishes close to the budget's pace.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sluice::secrets::Settings;
use support::{component, runtime, Recorder};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_300_stays_within_60_per_second() {
    let server = Recorder::start().await;
    let rt = Arc::new(runtime(vec![server.route("https://integration.talon.one")]));
    let module = rt.load_path(&component("sluice-talon-one")).await.unwrap();
    let settings = Settings::split(&module.description, &json!({"apiKey": "budget-key", "deployment": "https://acme.talon.one"})).unwrap();
    let payload = json!({"audienceId": "a1"});

    let client = rt.client(module, &settings).expect("client");
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let (rt, client, payload) = (rt.clone(), client.clone(), payload.clone());
        tasks.push(tokio::spawn(async move { rt.perform(&client, "deleteAudience", &payload).await.result }));
    }
    for t in tasks {
        t.await.unwrap().expect("every request is held back, none dropped");
    }

    let mut at: Vec<_> = server.seen().iter().map(|s| s.at).collect();
    at.sort();
    assert_eq!(at.len(), 300);
    for i in 0..at.len() - 60 {
        let window = at[i + 60] - at[i];
        assert!(window >= Duration::from_secs(1), "requests {i}..={} arrived within {window:?}", i + 60);
    }
    // 300 requests at 60/s: four full windows after the first burst.
    let total = at[299] - at[0];
    assert!(total >= Duration::from_secs(4) && total < Duration::from_millis(5000), "took {total:?}");
}
