//! botocore's retry rules where the SDK's differ. botocore retries any failure of the HTTP
//! exchange itself (urllib3's ProtocolError: a connection closed early, an answer that is
//! not HTTP) and S3's "200 with an error or a broken body" (`_handle_200_error` turns it
//! into a 500). The SDK retries I/O failures, but gives up on an unparseable answer and
//! on an unparseable 200.

use aws_sdk_s3::config::retry::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;

#[derive(Debug, Default)]
pub struct BotocoreRetries;

impl ClassifyRetry for BotocoreRetries {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        if let Some(failure) = error.as_connector_error() {
            // Unclassified transport failures: not TLS or policy refusals (user errors,
            // final in botocore too), not timeouts and I/O (already retried).
            if failure.is_other() && failure.as_other().is_none() {
                return RetryAction::transient_error();
            }
            return RetryAction::NoActionIndicated;
        }
        // A success status whose body could not be parsed (or embeds an error): the
        // operations of this client have XML outputs, never a streaming one here (a GET's
        // body is not read before the response is returned).
        if ctx.response().is_some_and(|r| r.status().is_success()) {
            return RetryAction::server_error();
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "s3seal::BotocoreRetries"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
