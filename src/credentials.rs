//! `Session.get_credentials()`: the credentials a client of the session would sign with,
//! from the same chain (`config::resolve_credentials`), handed to Python once.

use pyo3::prelude::*;

use crate::config::{resolve_credentials, ClientOptions};
use crate::runtime::wait;

/// `(access_key, secret_key, token, method, account_id)` of the credentials the chain
/// resolves for `profile_name` (env unless `env_credentials` is false, shared files, SSO,
/// web identity, container, instance metadata), or None when it finds none. `method` is
/// botocore's name of the source.
#[pyfunction]
#[pyo3(signature = (*, profile_name=None, region_name=None, env_credentials=true))]
#[allow(clippy::type_complexity)]
pub fn _resolve_credentials(
    py: Python<'_>,
    profile_name: Option<String>,
    region_name: Option<String>,
    env_credentials: bool,
) -> PyResult<Option<(String, String, Option<String>, &'static str, Option<String>)>> {
    let opts = ClientOptions::for_session(profile_name, region_name, env_credentials);
    let resolved = wait(py, async move { resolve_credentials(&opts).await })?;
    Ok(resolved.map(|r| {
        let c = r.credentials;
        (
            c.access_key_id().to_owned(),
            c.secret_access_key().to_owned(),
            c.session_token().map(str::to_owned),
            r.method,
            c.account_id().map(|a| a.as_str().to_owned()),
        )
    }))
}
