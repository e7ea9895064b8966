//! Shared by the integration tests: a loopback HTTP recorder, the built
//! components, and a runtime wired to route the destinations' origins to the
//! recorder. Nothing here reaches beyond 127.0.0.1.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sluice::egress::{Egress, Limits, Route};
use sluice::{Options, Runtime};

/// One request the recorder saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A loopback HTTP server that records every request and answers with a
/// fixed status and JSON body.
pub struct Recorder {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    answer: Arc<Mutex<Answer>>,
}

/// How the recorder answers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub delay: std::time::Duration,
    /// Drop the connection instead of answering (a reset, as the client sees it).
    pub reset: bool,
}

impl Default for Answer {
    fn default() -> Self {
        Answer { status: 200, body: r#"{"ok":true}"#.to_string(), headers: Vec::new(), delay: std::time::Duration::ZERO, reset: false }
    }
}

/// The recorder's way of hanging up on a request.
#[derive(Debug)]
pub struct Hangup;

impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hung up")
    }
}

impl std::error::Error for Hangup {}

impl Recorder {
    pub async fn start() -> Recorder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(Mutex::new(Answer::default()));
        let (s, a) = (seen.clone(), answer.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (s, a) = (s.clone(), a.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let (s, a) = (s.clone(), a.clone());
                        async move {
                            let at = Instant::now();
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
                            let headers = parts
                                .headers
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.as_bytes().iter().map(|&b| b as char).collect()))
                                .collect();
                            s.lock().unwrap().push(Seen {
                                method: parts.method.to_string(),
                                path: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
                                headers,
                                body,
                                at,
                            });
                            let answer = a.lock().unwrap().clone();
                            tokio::time::sleep(answer.delay).await;
                            if answer.reset {
                                return Err(Hangup);
                            }
                            let mut response = Response::builder().status(answer.status).header("content-type", "application/json");
                            for (k, v) in &answer.headers {
                                response = response.header(k, v);
                            }
                            Ok::<_, Hangup>(response.body(Full::new(Bytes::from(answer.body))).unwrap())
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Recorder { addr, seen, answer }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn answer_with(&self, status: u16, body: &str) {
        let mut a = self.answer.lock().unwrap();
        a.status = status;
        a.body = body.to_string();
    }

    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }

    /// A route sending `origin` here.
    pub fn route(&self, origin: &str) -> Route {
        Route::parse(&format!("{origin}={}", self.url())).unwrap()
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The built component for a guest crate (`just guests` builds them): the
/// destinations are built without WASI, the hostile guest with it (a
/// partner's guest may link WASI; `component_without_wasi` has the other).
pub fn component(crate_name: &str) -> PathBuf {
    let target = if crate_name == "sluice-hostile" { "wasm32-wasip2" } else { "wasm32-unknown-unknown" };
    built(target, crate_name)
}

/// The hostile guest built for `wasm32-unknown-unknown`, as the destinations are.
pub fn component_without_wasi(crate_name: &str) -> PathBuf {
    built("wasm32-unknown-unknown", crate_name)
}

fn built(target: &str, crate_name: &str) -> PathBuf {
    let p = root().join("target").join(target).join("guest").join(format!("{}.wasm", crate_name.replace('-', "_")));
    assert!(p.exists(), "{} is missing: run `just guests` first", p.display());
    p
}

pub fn cache_dir() -> PathBuf {
    root().join("target/test-cache")
}

pub fn runtime_with(routes: Vec<Route>, configure: impl FnOnce(&mut Options)) -> Runtime {
    let mut opts = Options::new(Egress::new(routes, Limits::default(), false));
    opts.cache_dir = Some(cache_dir());
    opts.max_instances = 64;
    configure(&mut opts);
    Runtime::new(opts).expect("runtime")
}

pub fn runtime(routes: Vec<Route>) -> Runtime {
    runtime_with(routes, |_| {})
}

/// A copy of the hostile component whose `describe` answers with `variant`
/// (see `tests/guests/hostile`).
pub fn hostile_variant(variant: &str) -> PathBuf {
    let marker = b"sluice-hostile-variant:normal...........";
    let mut bytes = std::fs::read(component("sluice-hostile")).unwrap();
    let at = bytes.windows(marker.len()).position(|w| w == marker).expect("the variant marker is in the component");
    let mut patched = format!("sluice-hostile-variant:{variant}").into_bytes();
    patched.resize(marker.len(), b'.');
    bytes[at..at + marker.len()].copy_from_slice(&patched);
    let dir = root().join("target/test-modules/variants");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("hostile-{variant}.wasm"));
    let tmp = dir.join(format!(".hostile-{variant}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// A modules directory holding the freshly built shipped components under
/// their slugs, filled once per test process (atomically: other test
/// processes may be reading it).
pub fn modules_dir(name: &str) -> PathBuf {
    let dir = root().join("target/test-modules").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (krate, slug) in [("sluice-toplyne", "toplyne"), ("sluice-talon-one", "talon-one")] {
        let tmp = dir.join(format!(".{slug}.{}.tmp", std::process::id()));
        std::fs::copy(component(krate), &tmp).unwrap();
        std::fs::rename(&tmp, dir.join(format!("{slug}.wasm"))).unwrap();
    }
    dir
}

/// A throwaway Postgres for the tests: `initdb` into a temp dir and `pg_ctl`
/// on a free loopback port (as `nobody` when the tests run as root, since
/// Postgres refuses root). Stopped when dropped.
pub struct Pg {
    dir: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    pub url: String,
}

impl Pg {
    /// `None` (with the reason on stderr) only if no Postgres binaries exist.
    pub fn start(name: &str) -> Option<Pg> {
        let bin = ["/usr/local/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]
            .iter()
            .map(PathBuf::from)
            .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists());
        let Some(bin) = bin else {
            eprintln!("SKIPPED: no Postgres binaries (initdb, pg_ctl) found; .ci/run installs them");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("sluice-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let root = unsafe_geteuid() == 0;
        if root {
            let ok = std::process::Command::new("chown").args(["-R", "nobody", dir.to_str().unwrap()]).status().unwrap().success();
            assert!(ok, "chown the Postgres folder to nobody");
        }
        let run = |program: &Path, args: &[&str]| {
            let mut cmd = if root {
                let mut c = std::process::Command::new("runuser");
                c.args(["-u", "nobody", "--"]).arg(program);
                c
            } else {
                std::process::Command::new(program)
            };
            let out = cmd.args(args).output().expect("run a Postgres binary");
            assert!(out.status.success(), "{} {args:?}: {}", program.display(), String::from_utf8_lossy(&out.stderr));
        };
        run(&bin.join("initdb"), &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "sluice", "--no-sync"]);
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", dir.display());
        run(&bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-o", &opts, "-l", dir.join("log").to_str().unwrap(), "-w", "start"]);
        Some(Pg { url: format!("postgres://sluice@127.0.0.1:{port}/postgres"), dir, data, bin })
    }
}

fn unsafe_geteuid() -> u32 {
    std::process::Command::new("id").arg("-u").output().ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(1)
}

impl Drop for Pg {
    fn drop(&mut self) {
        let root = unsafe_geteuid() == 0;
        let pg_ctl = self.bin.join("pg_ctl");
        let mut cmd = if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&pg_ctl);
            c
        } else {
            std::process::Command::new(&pg_ctl)
        };
        let _ = cmd.args(["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
