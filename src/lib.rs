//! s3seal's native core. This file only declares modules and registers the Python module.

mod aio;
mod body;
mod client;
mod config;
mod convert;
mod credentials;
mod engine;
mod error;
mod events;
mod fxhash;
mod methods;
#[rustfmt::skip]
mod model;
mod model_index;
mod model_types;
mod params;
mod runtime;
mod sse;
mod streaming_body;
mod transfer;
mod transport;
mod value;
mod xml;

use pyo3::prelude::*;

#[pymodule]
mod _native {
    #[pymodule_export]
    use crate::body::RawStream;
    #[pymodule_export]
    use crate::client::Client;
    #[pymodule_export]
    use crate::credentials::_resolve_credentials;
    #[pymodule_export]
    use crate::methods::{add_operation_methods, dispatch_directly};
    #[pymodule_export]
    use crate::streaming_body::add_streaming_body_read;
    #[pymodule_export]
    use crate::transfer::TransferStop;
}
