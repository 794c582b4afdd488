//! The client of the provider's Platform API (peerings). One instance per
//! process, shared: it holds the token, the HTTP connection pool and the
//! ETag cache. The same client talks to the real provider and to the
//! simulator; nothing here knows which.

mod data;
mod error;
pub mod wire;

pub use data::AccountsChange;
pub use error::ProviderError;

use domain::model::{Peering, PeeringInfo};
use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;
use wire::{ProviderErrorBody, Space};

const ACCEPT: &str = "application/vnd.heroku+json; version=3";
/// Lists longer than this many pages are refused rather than followed forever.
const MAX_PAGES: usize = 100;

#[derive(Clone)]
pub struct ProviderConfig {
    pub api_url: Url,
    pub data_api_url: Url,
    pub token: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("api_url", &self.api_url.as_str())
            .field("data_api_url", &self.data_api_url.as_str())
            .field("token", &"<redacted>")
            .finish()
    }
}

/// An answer with the envelope facts the audit history keeps.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    pub status: u16,
    pub request_id: Option<String>,
    pub rate_limit_remaining: Option<u64>,
}

/// What a mutation led to.
#[derive(Debug, Clone)]
pub struct Mutated<T> {
    /// The resource as the provider answered, or as read back.
    pub value: T,
    pub status: u16,
    pub request_id: Option<String>,
    /// Set when the answer was lost and `value` was read back: the error
    /// that hid the answer.
    pub lost_answer: Option<String>,
}

/// What a peering mutation led to.
pub type Mutation = Mutated<Peering>;

struct Cached {
    etag: String,
    body: bytes::Bytes,
    next_range: Option<String>,
}

/// Whether a GET answer may be kept for ETag revalidation. Answers that
/// hold secrets (config vars) are never kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Revalidate,
    Never,
}

/// Which of the provider's APIs a call goes to; they authenticate differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// `Authorization: Bearer <token>`.
    Platform,
    /// HTTP Basic with an empty user and the token as password.
    Data,
}

pub struct ProviderClient {
    http: reqwest::Client,
    base: Url,
    data_base: Url,
    token: String,
    timeout_secs: u64,
    /// GET answers by URL and Range, revalidated with If-None-Match. Bounded:
    /// every distinct URL asked for would otherwise stay for good.
    etags: moka::sync::Cache<String, Arc<Cached>>,
    /// The provider's `RateLimit-Remaining` in its latest answer, and when.
    budget: Mutex<Option<Budget>>,
}

/// What is left of the account's hourly budget of provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub remaining: u64,
    pub at: time::OffsetDateTime,
}

tokio::task_local! {
    /// Provider calls made by the task inside `counting`.
    static COUNTED: std::cell::Cell<u64>;
}

/// Runs `work` and says how many provider calls it made itself. A read
/// served from the cache, or from a load another task started, costs it
/// nothing; a load it started counts even if others joined it.
pub async fn counting<F: std::future::Future>(work: F) -> (F::Output, u64) {
    COUNTED
        .scope(std::cell::Cell::new(0), async {
            let out = work.await;
            (out, COUNTED.with(std::cell::Cell::get))
        })
        .await
}

/// ETag answers kept at most.
const ETAG_CAPACITY: u64 = 2_000;

impl ProviderClient {
    pub fn new(cfg: ProviderConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("spaceport/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Unreachable(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: with_slash(cfg.api_url),
            data_base: with_slash(cfg.data_api_url),
            token: cfg.token,
            timeout_secs: cfg.request_timeout.as_secs(),
            etags: moka::sync::Cache::new(ETAG_CAPACITY),
            budget: Mutex::new(None),
        })
    }

    /// Sends a request and notes the budget its answer reports; counts it
    /// in the metrics and for whoever is `counting`.
    async fn send(&self, rb: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
        let req = rb.build()?;
        let (method, path) = (req.method().clone(), req.url().path().to_string());
        let _ = COUNTED.try_with(|n| n.set(n.get() + 1));
        let res = self.http.execute(req).await;
        crate::metrics::provider_call(
            method.as_str(),
            &path,
            res.as_ref().ok().map(|r| r.status().as_u16()),
        );
        let res = res?;
        let remaining = match res.status() {
            StatusCode::TOO_MANY_REQUESTS => Some(0),
            _ => header_str(&res, "RateLimit-Remaining").and_then(|v| v.parse().ok()),
        };
        if let Some(remaining) = remaining {
            crate::metrics::global()
                .provider_budget
                .set(i64::try_from(remaining).unwrap_or(i64::MAX));
            *self.budget.lock().unwrap_or_else(|e| e.into_inner()) = Some(Budget {
                remaining,
                at: time::OffsetDateTime::now_utc(),
            });
        }
        Ok(res)
    }

    /// The budget the provider reported last, if it has answered yet.
    pub fn budget(&self) -> Option<Budget> {
        *self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn url(&self, segments: &[&str]) -> Url {
        join(&self.base, segments)
    }

    fn data_url(&self, segments: &[&str]) -> Url {
        join(&self.data_base, segments)
    }

    fn request(&self, method: Method, url: Url) -> (reqwest::RequestBuilder, String) {
        self.request_to(Api::Platform, method, url)
    }

    fn request_to(&self, api: Api, method: Method, url: Url) -> (reqwest::RequestBuilder, String) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let rb = self
            .http
            .request(method, url)
            .header(header::ACCEPT, ACCEPT)
            .header("Request-Id", &request_id);
        let rb = match api {
            Api::Platform => rb.bearer_auth(&self.token),
            Api::Data => rb.basic_auth("", Some(&self.token)),
        };
        (rb, request_id)
    }

    fn transport_error(&self, e: reqwest::Error) -> ProviderError {
        if e.is_timeout() {
            ProviderError::Timeout(self.timeout_secs)
        } else if e.is_connect() {
            ProviderError::Unreachable(format!("cannot connect to {}", self.base))
        } else {
            // Without the URL: reqwest puts it in the text, and it is noise here.
            ProviderError::Unreachable(e.without_url().to_string())
        }
    }

    async fn error_from(res: reqwest::Response, request_id: String) -> ProviderError {
        let status = res.status().as_u16();
        let request_id = header_str(&res, "Request-Id").or(Some(request_id));
        let body = res.bytes().await.unwrap_or_default();
        match serde_json::from_slice::<ProviderErrorBody>(&body) {
            Ok(b) => ProviderError::Api {
                status,
                id: b.id,
                message: b.message,
                request_id,
            },
            Err(_) => ProviderError::Api {
                status,
                id: "unknown".into(),
                message: format!("HTTP {status} without an error body"),
                request_id,
            },
        }
    }

    /// One GET, revalidating a cached answer with its ETag unless `keep`
    /// says the answer must not be kept.
    async fn get_raw(
        &self,
        api: Api,
        url: Url,
        range: Option<&str>,
        keep: Keep,
    ) -> Result<Answer<(bytes::Bytes, Option<String>)>, ProviderError> {
        let key = format!("{url} {}", range.unwrap_or(""));
        let (mut rb, request_id) = self.request_to(api, Method::GET, url);
        if let Some(r) = range {
            rb = rb.header(header::RANGE, r);
        }
        let known = match keep {
            Keep::Revalidate => self.etags.get(&key).map(|c| c.etag.clone()),
            Keep::Never => None,
        };
        if let Some(etag) = &known {
            rb = rb.header(header::IF_NONE_MATCH, etag);
        }
        let res = self.send(rb).await.map_err(|e| self.transport_error(e))?;
        let status = res.status();
        let rid = header_str(&res, "Request-Id").or(Some(request_id.clone()));
        let remaining = header_str(&res, "RateLimit-Remaining").and_then(|v| v.parse().ok());
        if status == StatusCode::NOT_MODIFIED {
            if let Some(c) = self.etags.get(&key) {
                return Ok(Answer {
                    value: (c.body.clone(), c.next_range.clone()),
                    status: 304,
                    request_id: rid,
                    rate_limit_remaining: remaining,
                });
            }
            return Err(ProviderError::Decode(
                "304 Not Modified for an answer never seen".into(),
            ));
        }
        if !status.is_success() {
            return Err(Self::error_from(res, request_id).await);
        }
        let next_range = (status == StatusCode::PARTIAL_CONTENT)
            .then(|| header_str(&res, "Next-Range"))
            .flatten();
        let etag = header_str(&res, "ETag");
        let body = res.bytes().await.map_err(|e| self.transport_error(e))?;
        if let (Some(etag), Keep::Revalidate) = (etag, keep) {
            self.etags.insert(
                key,
                Arc::new(Cached {
                    etag,
                    body: body.clone(),
                    next_range: next_range.clone(),
                }),
            );
        }
        Ok(Answer {
            value: (body, next_range),
            status: status.as_u16(),
            request_id: rid,
            rate_limit_remaining: remaining,
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Answer<T>, ProviderError> {
        self.get_from(Api::Platform, self.url(segments), Keep::Revalidate)
            .await
    }

    async fn get_from<T: DeserializeOwned>(
        &self,
        api: Api,
        url: Url,
        keep: Keep,
    ) -> Result<Answer<T>, ProviderError> {
        let a = self.get_raw(api, url, None, keep).await?;
        Ok(Answer {
            value: decode(&a.value.0)?,
            status: a.status,
            request_id: a.request_id,
            rate_limit_remaining: a.rate_limit_remaining,
        })
    }

    /// A whole list, following `Next-Range` until the provider says no more.
    async fn list<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Answer<Vec<T>>, ProviderError> {
        let url = self.url(segments);
        let mut all = Vec::new();
        let mut range: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let a = self
                .get_raw(
                    Api::Platform,
                    url.clone(),
                    range.as_deref(),
                    Keep::Revalidate,
                )
                .await?;
            let (body, next) = a.value;
            all.extend(decode::<Vec<T>>(&body)?);
            match next {
                Some(n) if Some(&n) != range.as_ref() => range = Some(n),
                _ => {
                    return Ok(Answer {
                        value: all,
                        status: a.status,
                        request_id: a.request_id,
                        rate_limit_remaining: a.rate_limit_remaining,
                    });
                }
            }
        }
        Err(ProviderError::Decode(format!(
            "more than {MAX_PAGES} pages of {url}"
        )))
    }

    pub async fn list_spaces(&self) -> Result<Answer<Vec<Space>>, ProviderError> {
        self.list(&["spaces"]).await
    }

    pub async fn get_space(&self, space: &str) -> Result<Answer<Space>, ProviderError> {
        self.get(&["spaces", space]).await
    }

    pub async fn peering_info(&self, space: &str) -> Result<Answer<PeeringInfo>, ProviderError> {
        self.get(&["spaces", space, "peering-info"]).await
    }

    pub async fn list_peerings(&self, space: &str) -> Result<Answer<Vec<Peering>>, ProviderError> {
        self.list(&["spaces", space, "peerings"]).await
    }

    pub async fn get_peering(
        &self,
        space: &str,
        pcx_id: &str,
    ) -> Result<Answer<Peering>, ProviderError> {
        self.get(&["spaces", space, "peerings", pcx_id]).await
    }

    /// Accepts a pending request (the schema form of the call).
    pub async fn accept_peering(
        &self,
        space: &str,
        pcx_id: &str,
    ) -> Result<Mutation, ProviderError> {
        let url = self.url(&["spaces", space, "peerings", pcx_id, "actions", "accept"]);
        self.mutate(Api::Platform, Method::POST, url, None, || async {
            Ok(self.get_peering(space, pcx_id).await?.value)
        })
        .await
    }

    pub async fn destroy_peering(
        &self,
        space: &str,
        pcx_id: &str,
    ) -> Result<Mutation, ProviderError> {
        let url = self.url(&["spaces", space, "peerings", pcx_id]);
        self.mutate(Api::Platform, Method::DELETE, url, None, || async {
            Ok(self.get_peering(space, pcx_id).await?.value)
        })
        .await
    }

    /// Exactly one call. A mutation is never retried: when its answer is
    /// lost (timeout, reset, 5xx) the resource is read back with
    /// `read_back`, and the caller learns both what happened and that the
    /// answer was lost. A success without a usable body is read back too.
    async fn mutate<T, F, Fut>(
        &self,
        api: Api,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
        read_back: F,
    ) -> Result<Mutated<T>, ProviderError>
    where
        T: DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let what = url.path().to_string();
        let (mut rb, request_id) = self.request_to(api, method, url);
        if let Some(body) = &body {
            rb = rb.json(body);
        }
        let err = match self.send(rb).await {
            Err(e) => self.transport_error(e),
            Ok(res) if res.status().is_success() => {
                let status = res.status().as_u16();
                let rid = header_str(&res, "Request-Id").or(Some(request_id.clone()));
                match res.bytes().await {
                    Err(e) => self.transport_error(e),
                    Ok(bytes) => {
                        let value = match serde_json::from_slice::<T>(&bytes) {
                            Ok(v) => v,
                            Err(_) => read_back().await?,
                        };
                        return Ok(Mutated {
                            value,
                            status,
                            request_id: rid,
                            lost_answer: None,
                        });
                    }
                }
            }
            Ok(res) => Self::error_from(res, request_id.clone()).await,
        };
        if !err.answer_may_be_lost() {
            return Err(err);
        }
        tracing::warn!(%what, error = %err, "answer lost; reading the resource back");
        match read_back().await {
            Ok(value) => Ok(Mutated {
                value,
                status: err.status().unwrap_or(0),
                request_id: err.request_id().map(str::to_string).or(Some(request_id)),
                lost_answer: Some(err.to_string()),
            }),
            // Neither the answer nor the read-back: the outcome is unknown.
            Err(_) => Err(err),
        }
    }
}

fn with_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    url
}

/// `base` with path segments appended, each percent-encoded.
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("base URL is hierarchical")
        .pop_if_empty()
        .extend(segments);
    url
}

fn header_str(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::Decode(e.to_string()))
}
