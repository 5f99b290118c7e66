//! botocore's retry quota, in `standard` and `adaptive` modes (`botocore/retries/quota.py`
//! and `standard.RetryQuotaChecker`): a client starts with 500 units; each retry takes 5
//! (10 after a connect or read timeout); a call that ends in a 2xx answer gives back what
//! its last retry took, or 1 if it needed none. With the quota spent, a retryable error is
//! returned at once, its `ResponseMetadata` saying `RetryQuotaReached`: a client facing an
//! outage stops multiplying its load on the server.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::Error;

#[derive(Debug)]
pub struct RetryQuota {
    available: AtomicU32,
}

impl RetryQuota {
    const INITIAL: u32 = 500;
    const RETRY_COST: u32 = 5;
    const TIMEOUT_RETRY_COST: u32 = 10;
    const NO_RETRY_INCREMENT: u32 = 1;

    pub fn new() -> Self {
        Self {
            available: AtomicU32::new(Self::INITIAL),
        }
    }

    /// What retrying after `error` costs.
    pub fn cost(error: &Error) -> u32 {
        match error {
            Error::ConnectTimeout(_) | Error::ReadTimeout(_) => Self::TIMEOUT_RETRY_COST,
            _ => Self::RETRY_COST,
        }
    }

    /// Take `amount` for a retry; false (and nothing taken) when less is left.
    pub fn acquire(&self, amount: u32) -> bool {
        self.available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(amount)
            })
            .is_ok()
    }

    /// A call answered 2xx: give back what its last retry took (`retried`), or 1.
    pub fn release(&self, retried: Option<u32>) {
        let amount = retried.unwrap_or(Self::NO_RETRY_INCREMENT);
        // The common case, a full quota, costs one load and no write.
        if self.available.load(Ordering::Acquire) >= Self::INITIAL {
            return;
        }
        let _ = self
            .available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                Some(left.saturating_add(amount).min(Self::INITIAL))
            });
    }

    #[cfg(test)]
    fn available(&self) -> u32 {
        self.available.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_spend_the_quota_and_successes_give_it_back() {
        let quota = RetryQuota::new();
        for _ in 0..100 {
            assert!(quota.acquire(RetryQuota::cost(&Error::ConnectionClosed(String::new()))));
        }
        assert_eq!(quota.available(), 0);
        assert!(!quota.acquire(5), "a retry with nothing left");
        assert_eq!(quota.available(), 0, "a refused retry takes nothing");
        // A success without retries gives back 1; one after a timeout's retry, 10.
        quota.release(None);
        assert_eq!(quota.available(), 1);
        assert_eq!(RetryQuota::cost(&Error::ReadTimeout(String::new())), 10);
        quota.release(Some(10));
        assert_eq!(quota.available(), 11);
        assert!(quota.acquire(10) && !quota.acquire(5));
        // Never above the initial 500.
        for _ in 0..200 {
            quota.release(Some(5));
        }
        assert_eq!(quota.available(), 500);
    }
}
