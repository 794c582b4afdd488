//! Sign-in through the team's identity provider: OpenID Connect's
//! authorization code flow with PKCE (S256), `state` and `nonce`, by the
//! `openidconnect` crate, which checks the ID token's signature, issuer,
//! audience, expiry and nonce.
//!
//! What a sign-in that left for the provider must match when it comes back
//! is kept in the database (`sign_in_pending`), keyed by its `state`, so
//! the callback may reach any console sharing the database; and the same
//! `state` in a cookie of the browser that left, so a callback carried to
//! another browser (a login forged onto someone else) is refused. Each
//! pending sign-in is used once, within ten minutes.

use crate::config::SsoArgs;
use crate::db::{Affected, Db};
use crate::limit::{GlobalBucket, KeyedBuckets};
use crate::on_pool;
use domain::access::Role;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode, Client,
    ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RedirectUrl, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a sign-in may stay at the provider.
const PENDING_SECS: i64 = 600;
/// How far the provider's clock and ours may differ.
const CLOCK_SKEW_SECS: i64 = 60;
/// The cookie that ties a callback to the browser that left.
const STATE_COOKIE: &str = "spaceport_sso";
const STATE_COOKIE_SECURE: &str = "__Secure-spaceport_sso";
/// How long the provider's discovery document (and keys) are reused.
const DISCOVERY_FOR: Duration = Duration::from_secs(600);

/// The claims besides the standard ones, among them the groups.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for OtherClaims {}

/// What discovery says besides the core: where RP-initiated logout is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogoutMetadata {
    end_session_endpoint: Option<url::Url>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Tokens = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The provider as discovery described it.
struct Discovered {
    client: OidcClient,
    end_session: Option<url::Url>,
}

/// Why a sign-in through the provider did not happen; each is a code the
/// sign-in page turns into a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoError {
    #[error("the identity provider cannot be reached: {0}")]
    Unreachable(String),
    #[error("the sign-in was cancelled or consent denied at the identity provider")]
    Denied,
    #[error("the identity provider answered with an error: {0}")]
    Failed(String),
    #[error("the callback does not belong to a sign-in this browser started")]
    Forged,
    #[error("the callback was used already, or belongs to no sign-in")]
    Replayed,
    #[error("the sign-in took longer than ten minutes")]
    Expired,
    #[error("the identity provider refused the code: {0}")]
    Code(String),
    #[error("the ID token does not hold: {0}")]
    Token(String),
    #[error("the ID token's times do not fit this console's clock: {0}")]
    Clock(String),
    #[error("too many sign-ins started from one address, or from everywhere at once")]
    Busy,
    #[error("the console's database failed: {0}")]
    Database(String),
}

impl SsoError {
    /// The code the sign-in page reads.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "sso_unreachable",
            Self::Denied => "sso_denied",
            Self::Failed(_) => "sso_failed",
            Self::Forged => "sso_forged",
            Self::Replayed => "sso_replayed",
            Self::Expired => "sso_expired",
            Self::Code(_) => "sso_code",
            Self::Token(_) => "sso_token",
            Self::Clock(_) => "sso_clock",
            Self::Busy => "sso_busy",
            Self::Database(_) => "unavailable",
        }
    }
}

impl From<sqlx::Error> for SsoError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e.to_string())
    }
}

/// Who the provider signed in, once everything checked out.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    /// The name they go by, made fit for a user name of this console.
    pub name: domain::ids::UserName,
    pub groups: Vec<String>,
    pub role: Option<Role>,
    /// For RP-initiated logout's `id_token_hint`.
    pub id_token: String,
    /// Where to go after signing in (a local path).
    pub next: String,
}

/// What the callback carries.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// Which groups make which role.
#[derive(Debug, Clone, Default)]
pub struct RoleGroups {
    pub viewer: Vec<String>,
    pub operator: Vec<String>,
    pub admin: Vec<String>,
}

impl RoleGroups {
    /// The highest role any of `groups` gives, if any.
    pub fn role(&self, groups: &[String]) -> Option<Role> {
        let any = |of: &[String]| groups.iter().any(|g| of.contains(g));
        if any(&self.admin) {
            Some(Role::Admin)
        } else if any(&self.operator) {
            Some(Role::Operator)
        } else if any(&self.viewer) {
            Some(Role::Viewer)
        } else {
            None
        }
    }
}

pub struct Sso {
    /// "Sign in with NAME".
    pub name: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    secret: Option<ClientSecret>,
    scopes: Vec<String>,
    groups_claim: String,
    groups: RoleGroups,
    public_origin: Option<String>,
    http: reqwest::Client,
    db: Db,
    discovered: tokio::sync::Mutex<Option<(Instant, Arc<Discovered>)>>,
    /// When discovery last failed: for a few seconds after, sign-ins are
    /// told at once that the provider is down, rather than each waiting
    /// for it (and a flood making as many calls to it).
    failed: std::sync::Mutex<Option<(Instant, String)>>,
    /// Sign-ins started and callbacks taken, per address and in all: each
    /// writes to the database, which an anonymous flood must not hold.
    per_address: KeyedBuckets<IpAddr>,
    everyone: GlobalBucket,
}

/// How long a failed discovery is believed.
const FAILED_FOR: Duration = Duration::from_secs(5);
/// Sign-ins (a start and its callback each) per address: a burst, then one
/// a second; and from everywhere together.
const PER_ADDRESS_BURST: u32 = 30;
const PER_ADDRESS_PER_SEC: f64 = 1.0;
const EVERYONE_BURST: u32 = 300;
const EVERYONE_PER_SEC: f64 = 10.0;

impl Sso {
    /// The provider `args` configure, if they name one; an error when they
    /// name it only in part.
    pub fn from_args(
        args: &SsoArgs,
        public_origin: Option<String>,
        db: Db,
    ) -> Result<Option<Self>, String> {
        let Some(issuer) = &args.oidc_issuer else {
            return Ok(None);
        };
        let client_id = args
            .oidc_client_id
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or("--oidc-issuer needs --oidc-client-id")?;
        let groups = RoleGroups {
            viewer: args.oidc_viewer_groups.clone(),
            operator: args.oidc_operator_groups.clone(),
            admin: args.oidc_admin_groups.clone(),
        };
        if groups.viewer.is_empty() && groups.operator.is_empty() && groups.admin.is_empty() {
            return Err("--oidc-issuer needs at least one of --oidc-viewer-groups, \
                 --oidc-operator-groups, --oidc-admin-groups: otherwise nobody gets a role"
                .into());
        }
        // The issuer as configured, without the trailing slash a URL parser
        // adds to a bare host: the ID token's `iss` must equal it exactly.
        let issuer = issuer.as_str().trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            // Following redirects would let the provider's answers send
            // this console anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the HTTP client for the identity provider: {e}"))?;
        Ok(Some(Self {
            name: args.oidc_name.clone(),
            issuer: IssuerUrl::new(issuer).map_err(|e| format!("--oidc-issuer: {e}"))?,
            client_id: ClientId::new(client_id),
            secret: args.oidc_client_secret.clone().map(ClientSecret::new),
            scopes: args
                .oidc_scopes
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s != "openid")
                .collect(),
            groups_claim: args.oidc_groups_claim.clone(),
            groups,
            public_origin,
            http,
            db,
            discovered: tokio::sync::Mutex::new(None),
            failed: std::sync::Mutex::new(None),
            per_address: KeyedBuckets::new(PER_ADDRESS_BURST, PER_ADDRESS_PER_SEC),
            everyone: GlobalBucket::new(EVERYONE_BURST, EVERYONE_PER_SEC),
        }))
    }

    /// The `Set-Cookie` that holds a sign-in's `state` in the browser that
    /// left for the provider (empty, with `max_age` 0, to remove it). Lax,
    /// not Strict like the session's: the provider's redirect back is a
    /// navigation from another site, and must bring it.
    pub fn state_cookie(&self, value: &str, max_age: i64) -> String {
        let secure = self
            .public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"));
        let (name, flag) = if secure {
            (STATE_COOKIE_SECURE, "; Secure")
        } else {
            (STATE_COOKIE, "")
        };
        format!("{name}={value}; Path=/signin/sso; Max-Age={max_age}; HttpOnly; SameSite=Lax{flag}")
    }

    /// The `state` the browser's cookie holds, if any.
    pub fn state_from(headers: &http::HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == STATE_COOKIE || *k == STATE_COOKIE_SECURE)
            .map(|(_, v)| v.to_string())
    }

    /// What the history names as the actor of the provider's changes: a
    /// name no user of this console can have (it holds a space).
    pub fn actor(&self) -> String {
        format!("{} (identity provider)", self.name)
    }

    /// Refuses a sign-in step from `address` past its share.
    fn admit(&self, address: Option<IpAddr>) -> Result<(), SsoError> {
        let key = address.map_or(IpAddr::from([0, 0, 0, 0]), super::throttle::address_key);
        self.per_address.take(&key).map_err(|_| SsoError::Busy)?;
        self.everyone.take().map_err(|_| SsoError::Busy)?;
        Ok(())
    }

    /// The provider, discovered at most every ten minutes.
    async fn discovered(&self) -> Result<Arc<Discovered>, SsoError> {
        if let Some((at, why)) = self
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && at.elapsed() < FAILED_FOR
        {
            return Err(SsoError::Unreachable(why.clone()));
        }
        let mut cached = self.discovered.lock().await;
        if let Some((at, d)) = cached.as_ref()
            && at.elapsed() < DISCOVERY_FOR
        {
            return Ok(d.clone());
        }
        let metadata = match Metadata::discover_async(self.issuer.clone(), &self.http).await {
            Ok(m) => m,
            Err(e) => {
                let why = error_chain(&e);
                *self.failed.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((Instant::now(), why.clone()));
                return Err(SsoError::Unreachable(why));
            }
        };
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = OidcClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.secret.clone(),
        );
        let d = Arc::new(Discovered {
            client,
            end_session,
        });
        *cached = Some((Instant::now(), d.clone()));
        Ok(d)
    }

    /// Where the provider sends the browser back: on this console's public
    /// URL, or on the host the browser reached it at (the provider accepts
    /// only the redirect URIs registered with it).
    fn redirect_uri(&self, host: &str) -> Result<RedirectUrl, SsoError> {
        let origin = self
            .public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{host}"));
        RedirectUrl::new(format!("{origin}/signin/sso/callback"))
            .map_err(|e| SsoError::Failed(format!("the redirect URI: {e}")))
    }

    /// Starts a sign-in: the provider's URL to send the browser to, and
    /// the `state` the browser must bring back.
    pub async fn begin(
        &self,
        address: Option<IpAddr>,
        host: &str,
        next: &str,
    ) -> Result<(url::Url, String), SsoError> {
        self.admit(address)?;
        let discovered = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = discovered
            .client
            .clone()
            .set_redirect_uri(self.redirect_uri(host)?);
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let now = crate::db::now_ms() / 1000;
        on_pool!(&self.db, p => {
            sqlx::query("DELETE FROM sign_in_pending WHERE created_at < $1")
                .bind(now - PENDING_SECS)
                .execute(p)
                .await
                .affected()?;
            sqlx::query(
                "INSERT INTO sign_in_pending (state, verifier, nonce, next, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(state.secret())
            .bind(verifier.secret())
            .bind(nonce.secret())
            .bind(next)
            .bind(now)
            .execute(p)
            .await
            .affected()
        })?;
        Ok((url, state.secret().clone()))
    }

    /// Finishes a sign-in from the provider's callback, brought by the
    /// browser whose cookie holds `cookie_state`.
    pub async fn finish(
        &self,
        address: Option<IpAddr>,
        host: &str,
        back: Callback,
        cookie_state: Option<&str>,
    ) -> Result<Identity, SsoError> {
        self.admit(address)?;
        let Some(state) = back.state.as_deref().filter(|s| !s.is_empty()) else {
            return Err(SsoError::Forged);
        };
        // Compared by digest: the time taken says nothing of the state.
        let digest = |s: &str| -> [u8; 32] {
            use sha2::Digest;
            sha2::Sha256::digest(s.as_bytes()).into()
        };
        if cookie_state.map(digest) != Some(digest(state)) {
            return Err(SsoError::Forged);
        }
        #[derive(sqlx::FromRow)]
        struct Pending {
            verifier: String,
            nonce: String,
            next: String,
            created_at: i64,
        }
        // Taken, whatever comes next: a callback is used once.
        let pending: Option<Pending> = on_pool!(&self.db, p => sqlx::query_as(
            "DELETE FROM sign_in_pending WHERE state = $1 \
             RETURNING verifier, nonce, next, created_at",
        )
        .bind(state)
        .fetch_optional(p)
        .await)?;
        let Some(pending) = pending else {
            return Err(SsoError::Replayed);
        };
        if let Some(error) = back.error {
            return Err(if error == "access_denied" {
                SsoError::Denied
            } else {
                SsoError::Failed(error.chars().take(100).collect())
            });
        }
        if crate::db::now_ms() / 1000 - pending.created_at > PENDING_SECS {
            return Err(SsoError::Expired);
        }
        // RFC 9207: an answer that names another issuer is another
        // provider's (a mix-up), whatever else it holds.
        if let Some(iss) = &back.iss
            && iss.trim_end_matches('/') != self.issuer.as_str().trim_end_matches('/')
        {
            return Err(SsoError::Forged);
        }
        let code = back
            .code
            .filter(|c| !c.is_empty())
            .ok_or(SsoError::Forged)?;
        let discovered = self.discovered().await?;
        let client = discovered
            .client
            .clone()
            .set_redirect_uri(self.redirect_uri(host)?);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| SsoError::Failed(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => SsoError::Code(format!("{}", r.error())),
                other => SsoError::Unreachable(error_chain(&other)),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SsoError::Token("the provider sent no ID token".into()))?;
        let claims = checked_claims(
            id_token,
            client.id_token_verifier(),
            &Nonce::new(pending.nonce),
            Some(tokens.access_token()),
        )?;
        let groups = groups_of(claims.additional_claims().rest.get(&self.groups_claim));
        let preferred = claims
            .preferred_username()
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.email().map(|e| e.as_str().to_string()))
            .unwrap_or_else(|| claims.subject().as_str().to_string());
        Ok(Identity {
            subject: claims.subject().as_str().to_string(),
            name: fit_name(&preferred),
            role: self.groups.role(&groups),
            groups,
            id_token: id_token.to_string(),
            next: pending.next,
        })
    }

    /// Where to send the browser after signing out here, if the provider
    /// offers RP-initiated logout.
    pub async fn logout_url(&self, host: &str, id_token: Option<&str>) -> Option<url::Url> {
        let discovered = self.discovered().await.ok()?;
        let mut url = discovered.end_session.clone()?;
        let origin = self
            .public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{host}"));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", self.client_id.as_str());
            q.append_pair(
                "post_logout_redirect_uri",
                &format!("{origin}/signin?signed_out=1"),
            );
            if let Some(hint) = id_token {
                q.append_pair("id_token_hint", hint);
            }
        }
        Some(url)
    }
}

type IdToken = openidconnect::IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Claims = openidconnect::IdTokenClaims<OtherClaims, CoreGenderClaim>;

/// The claims of `id_token` once `verifier` (this client, this issuer, the
/// provider's keys) and `nonce` accept it, with a minute's leeway for the
/// clocks either way; and, when the token says the hash of the access
/// token it came with, once that matches too.
fn checked_claims<'t>(
    id_token: &'t IdToken,
    verifier: openidconnect::IdTokenVerifier<'_, CoreJsonWebKey>,
    nonce: &Nonce,
    access_token: Option<&openidconnect::AccessToken>,
) -> Result<&'t Claims, SsoError> {
    let verifier = verifier
        // An expiry is taken as passed only a minute after it...
        .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(CLOCK_SKEW_SECS))
        // ...and a token issued more than a minute in the future is from
        // a clock that is off.
        .set_issue_time_verifier_fn(|iat| {
            let ahead = (iat - chrono::Utc::now()).num_seconds();
            if ahead > CLOCK_SKEW_SECS {
                Err(format!("issued {ahead} s in the future"))
            } else {
                Ok(())
            }
        });
    let claims = id_token.claims(&verifier, nonce).map_err(|e| match e {
        openidconnect::ClaimsVerificationError::Expired(m) => SsoError::Clock(m),
        other => SsoError::Token(other.to_string()),
    })?;
    if let (Some(expected), Some(access_token)) = (claims.access_token_hash(), access_token) {
        let token = |e: &dyn std::fmt::Display| SsoError::Token(e.to_string());
        let alg = id_token.signing_alg().map_err(|e| token(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| token(&e))?;
        let actual = AccessTokenHash::from_token(access_token, alg, key).map_err(|e| token(&e))?;
        if actual != *expected {
            return Err(SsoError::Token(
                "the access token hash does not match".into(),
            ));
        }
    }
    Ok(claims)
}

/// The groups a claim holds: a list of names, or one name.
fn groups_of(claim: Option<&serde_json::Value>) -> Vec<String> {
    match claim {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// A user name of this console made from what the provider calls them:
/// lowercase, with anything a name may not hold turned into `-`; a name
/// the console keeps for itself gets `sso-` in front.
pub fn fit_name(preferred: &str) -> domain::ids::UserName {
    let mut s: String = preferred
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        s.insert_str(0, "sso");
    }
    if domain::validate::new_user_name(&s).is_err() {
        s.insert_str(0, "sso-");
    }
    s.parse()
        .unwrap_or_else(|_| "sso-user".parse().expect("a valid name"))
}

/// An error with its causes, for the log and the record.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::core::CoreRsaPrivateSigningKey;
    use openidconnect::{
        Audience, JsonWebKeyId, JsonWebKeySet, PrivateSigningKey, StandardClaims, SubjectIdentifier,
    };

    /// A provider's signing key, made for the test.
    fn signing_key() -> CoreRsaPrivateSigningKey {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let pem = key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
        CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
    }

    const ISSUER: &str = "https://idp.example.test";

    /// An ID token as `key` signs it, with these fields.
    fn token(
        key: &CoreRsaPrivateSigningKey,
        issuer: &str,
        audience: &str,
        nonce: &str,
        issued: chrono::Duration,
        expires: chrono::Duration,
    ) -> IdToken {
        let now = chrono::Utc::now();
        let claims = Claims::new(
            IssuerUrl::new(issuer.into()).unwrap(),
            vec![Audience::new(audience.into())],
            now + expires,
            now + issued,
            StandardClaims::new(SubjectIdentifier::new("u-1".into())),
            OtherClaims {
                rest: [("groups".to_string(), serde_json::json!(["sp-admins"]))].into(),
            },
        )
        .set_nonce(Some(Nonce::new(nonce.into())));
        IdToken::new(
            claims,
            key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap()
    }

    #[test]
    fn an_id_token_counts_only_for_this_client_issuer_nonce_key_and_time() {
        let key = signing_key();
        let keys = JsonWebKeySet::new(vec![key.as_verification_key()]);
        let verifier = || {
            openidconnect::IdTokenVerifier::new_public_client(
                ClientId::new("spaceport".into()),
                IssuerUrl::new(ISSUER.into()).unwrap(),
                keys.clone(),
            )
        };
        let nonce = Nonce::new("n-1".into());
        let check = |t: &IdToken| checked_claims(t, verifier(), &nonce, None).map(|_| ());
        let (min, hour) = (chrono::Duration::minutes(1), chrono::Duration::hours(1));
        let zero = chrono::Duration::zero();

        let good = token(&key, ISSUER, "spaceport", "n-1", zero, hour);
        let claims = checked_claims(&good, verifier(), &nonce, None).unwrap();
        assert_eq!(
            groups_of(claims.additional_claims().rest.get("groups")),
            vec!["sp-admins".to_string()]
        );
        let refused = |t: IdToken, what: &str| {
            let e = check(&t).unwrap_err();
            assert!(matches!(e, SsoError::Token(_)), "{what}: {e}");
        };
        refused(
            token(&key, ISSUER, "another-client", "n-1", zero, hour),
            "audience",
        );
        refused(
            token(&key, "https://evil.example", "spaceport", "n-1", zero, hour),
            "issuer",
        );
        refused(token(&key, ISSUER, "spaceport", "n-2", zero, hour), "nonce");
        refused(
            token(&signing_key(), ISSUER, "spaceport", "n-1", zero, hour),
            "another key",
        );

        // The clocks may differ by a minute, not more.
        let half = chrono::Duration::seconds(30);
        assert!(check(&token(&key, ISSUER, "spaceport", "n-1", half, hour)).is_ok());
        assert!(check(&token(&key, ISSUER, "spaceport", "n-1", -hour, -half)).is_ok());
        let ahead = check(&token(&key, ISSUER, "spaceport", "n-1", min * 5, hour));
        assert!(matches!(ahead, Err(SsoError::Clock(_))), "{ahead:?}");
        let expired = check(&token(&key, ISSUER, "spaceport", "n-1", -hour, -(min * 2)));
        assert!(matches!(expired, Err(SsoError::Clock(_))), "{expired:?}");
    }

    #[test]
    fn the_highest_role_of_any_group_counts() {
        let g = RoleGroups {
            viewer: vec!["staff".into()],
            operator: vec!["net".into()],
            admin: vec!["platform".into()],
        };
        let of = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(g.role(&of(&["staff", "platform"])), Some(Role::Admin));
        assert_eq!(g.role(&of(&["net"])), Some(Role::Operator));
        assert_eq!(g.role(&of(&["staff"])), Some(Role::Viewer));
        assert_eq!(g.role(&of(&["finance"])), None);
        assert_eq!(g.role(&[]), None);
    }

    #[test]
    fn a_provider_name_becomes_a_user_name() {
        assert_eq!(
            fit_name("Alice.Smith@Example.COM").as_str(),
            "alice.smith@example.com"
        );
        assert_eq!(fit_name("Jürgen Groß").as_str(), "j-rgen-gro-");
        assert_eq!(fit_name("_x").as_str(), "sso_x");
        assert_eq!(fit_name("spaceport").as_str(), "sso-spaceport");
        assert_eq!(fit_name("").as_str(), "sso");
        assert_eq!(fit_name(&"a".repeat(200)).as_str().len(), 56);
        assert_eq!(
            groups_of(Some(&serde_json::json!(["a", 1, "b"]))),
            vec!["a".to_string(), "b".to_string()]
        );
        assert_eq!(
            groups_of(Some(&serde_json::json!("solo"))),
            vec!["solo".to_string()]
        );
    }
}
