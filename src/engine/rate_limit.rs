//! botocore's `adaptive` retry mode: the standard retries plus a client-side rate limiter
//! (`botocore/retries/adaptive.py`, `throttling.py`, `bucket.py`). It stays off until a
//! throttling answer arrives; from then on every attempt takes a token from a bucket whose
//! fill rate follows CUBIC: cut to 0.7x the measured send rate on each throttling answer,
//! grown back along a cubic curve on successes, never above twice the measured rate.
//!
//! One limiter per client, shared by its threads and tasks (as botocore's is per client).
//! Where botocore blocks a thread on a condition variable, an attempt here reserves its token
//! at once (the bucket may go negative) and sleeps until the token is due: waiters are paced
//! at the fill rate in arrival order, without holding the lock while they wait.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// botocore's `ClientRateLimiter._MAX_RATE_ADJUST_SCALE`.
const MAX_RATE_ADJUST_SCALE: f64 = 2.0;

pub struct RateLimiter {
    clock: Clock,
    state: Mutex<State>,
}

struct State {
    enabled: bool,
    cubic: Cubic,
    bucket: TokenBucket,
    clocker: RateClocker,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("enabled", &self.lock().enabled)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new() -> Self {
        let clock = Clock::new();
        Self {
            state: Mutex::new(State::new(clock.now())),
            clock,
        }
    }

    /// botocore's `before-send` handler: the time to wait before this attempt may be sent
    /// (zero while no throttling answer has been seen, or a token is there).
    pub fn before_send(&self) -> Duration {
        let now = self.clock.now();
        Duration::from_secs_f64(self.lock().before_send(now))
    }

    /// botocore's `needs-retry` handler, for every attempt's outcome.
    pub fn on_response(&self, throttled: bool) {
        let now = self.clock.now();
        self.lock().on_response(throttled, now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update completes before the guard drops: a poisoned state is still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn new(now: f64) -> Self {
        Self {
            enabled: false,
            cubic: Cubic::new(0.0, now),
            bucket: TokenBucket::new(1.0, now),
            clocker: RateClocker::new(now),
        }
    }

    fn before_send(&mut self, now: f64) -> f64 {
        if self.enabled {
            self.bucket.reserve(now)
        } else {
            0.0
        }
    }

    fn on_response(&mut self, throttled: bool, now: f64) {
        let measured = self.clocker.record(now);
        let new_rate = if throttled {
            let rate = if self.enabled {
                measured.min(self.bucket.fill_rate)
            } else {
                measured
            };
            self.enabled = true;
            self.cubic.error_received(rate, now)
        } else {
            self.cubic.success_received(now)
        };
        self.bucket
            .set_max_rate(new_rate.min(MAX_RATE_ADJUST_SCALE * measured), now);
    }
}

/// botocore's clock is `time.time()`; the rate clocker's half-second buckets are aligned to
/// it. Read here as wall-clock seconds at creation plus monotonic time since, so a clock
/// step cannot send a rate negative.
struct Clock {
    start: Instant,
    start_secs: f64,
}

impl Clock {
    fn new() -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Self {
            start: Instant::now(),
            start_secs: wall,
        }
    }

    fn now(&self) -> f64 {
        self.start_secs + self.start.elapsed().as_secs_f64()
    }
}

/// `throttling.CubicCalculator`.
struct Cubic {
    w_max: f64,
    k: f64,
    last_fail: f64,
}

impl Cubic {
    const SCALE: f64 = 0.4;
    const BETA: f64 = 0.7;

    fn new(starting_max_rate: f64, now: f64) -> Self {
        let mut cubic = Self {
            w_max: starting_max_rate,
            k: 0.0,
            last_fail: now,
        };
        cubic.k = cubic.zero_point();
        cubic
    }

    fn zero_point(&self) -> f64 {
        (self.w_max * (1.0 - Self::BETA) / Self::SCALE).cbrt()
    }

    fn success_received(&self, now: f64) -> f64 {
        Self::SCALE * (now - self.last_fail - self.k).powi(3) + self.w_max
    }

    fn error_received(&mut self, current_rate: f64, now: f64) -> f64 {
        self.w_max = current_rate;
        self.k = self.zero_point();
        self.last_fail = now;
        current_rate * Self::BETA
    }
}

/// `bucket.TokenBucket`, with reservations in place of blocking (see the module's note).
struct TokenBucket {
    fill_rate: f64,
    max_capacity: f64,
    capacity: f64,
    last: f64,
}

impl TokenBucket {
    const MIN_RATE: f64 = 0.5;

    fn new(max_rate: f64, now: f64) -> Self {
        let mut bucket = Self {
            fill_rate: Self::MIN_RATE,
            max_capacity: 1.0,
            capacity: 0.0,
            last: now,
        };
        bucket.set_max_rate(max_rate, now);
        bucket
    }

    /// The `max_rate` setter: tokens due at the old rate are added first.
    fn set_max_rate(&mut self, rate: f64, now: f64) {
        self.refill(now);
        self.fill_rate = rate.max(Self::MIN_RATE);
        self.max_capacity = rate.max(1.0);
        self.capacity = self.capacity.min(self.max_capacity);
    }

    /// Take one token; the seconds until it is due (zero when one is there).
    fn reserve(&mut self, now: f64) -> f64 {
        self.refill(now);
        let wait = if self.capacity >= 1.0 {
            0.0
        } else {
            (1.0 - self.capacity) / self.fill_rate
        };
        self.capacity -= 1.0;
        wait
    }

    fn refill(&mut self, now: f64) {
        let elapsed = (now - self.last).max(0.0);
        self.capacity = (self.capacity + elapsed * self.fill_rate).min(self.max_capacity);
        self.last = now;
    }
}

/// `adaptive.RateClocker`: the send rate, smoothed, measured over half-second buckets.
struct RateClocker {
    measured: f64,
    last_bucket: f64,
    count: f64,
}

impl RateClocker {
    const SMOOTHING: f64 = 0.8;
    const BUCKET_SCALE: f64 = 2.0; // 1 / 0.5 s

    fn new(now: f64) -> Self {
        Self {
            measured: 0.0,
            last_bucket: now.floor(),
            count: 0.0,
        }
    }

    fn record(&mut self, now: f64) -> f64 {
        let bucket = (now * Self::BUCKET_SCALE).floor() / Self::BUCKET_SCALE;
        self.count += 1.0;
        if bucket > self.last_bucket {
            let current = self.count / (bucket - self.last_bucket);
            self.measured = current * Self::SMOOTHING + self.measured * (1.0 - Self::SMOOTHING);
            self.count = 0.0;
            self.last_bucket = bucket;
        }
        self.measured
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn cubic_follows_botocore() {
        // botocore's CubicCalculator, worked by hand: a failure at t=0 while sending 10/s cuts
        // the rate to 7/s; successes follow the curve back to 10/s at t=k, then past it.
        let mut cubic = Cubic::new(10.0, 0.0);
        assert!(close(cubic.error_received(10.0, 0.0), 7.0));
        let k = (10.0 * 0.3 / 0.4f64).cbrt();
        assert!(close(cubic.k, k));
        for (t, expected) in [(0.0, 7.0), (1.0, 0.4 * (1.0 - k).powi(3) + 10.0)] {
            assert!(close(cubic.success_received(t), expected), "t={t}");
        }
        assert!(close(cubic.success_received(k), 10.0));
        assert!(cubic.success_received(k + 1.0) > 10.0);
    }

    #[test]
    fn the_bucket_paces_waiters_at_its_fill_rate() {
        let mut bucket = TokenBucket::new(1.0, 0.0);
        bucket.set_max_rate(2.0, 0.0);
        // Empty at first: each reservation is due half a second after the one before.
        assert!(close(bucket.reserve(0.0), 0.5));
        assert!(close(bucket.reserve(0.0), 1.0));
        assert!(close(bucket.reserve(0.0), 1.5));
        // Two seconds on, the three reserved tokens are paid and one more is there.
        assert!(close(bucket.reserve(2.0), 0.0));
        // A slower rate never goes under botocore's minimum of 0.5 tokens a second.
        bucket.set_max_rate(0.1, 2.0);
        assert!(close(bucket.fill_rate, 0.5));
        assert!(close(bucket.reserve(2.0), 2.0));
    }

    #[test]
    fn the_send_rate_is_measured_over_half_seconds() {
        let mut clocker = RateClocker::new(10.0);
        for _ in 0..4 {
            assert!(close(clocker.record(10.2), 0.0));
        }
        // The fifth request opens the bucket at 10.5: 5 requests in 0.5 s, smoothed by 0.8.
        assert!(close(clocker.record(10.6), 8.0));
    }

    #[test]
    fn the_limiter_waits_only_after_a_throttling_answer() {
        // 20 requests a second for 3 s, all answered: nothing waits.
        let mut state = State::new(100.0);
        let mut now = 100.0;
        while now < 103.0 {
            assert_eq!(state.before_send(now), 0.0);
            state.on_response(false, now);
            now += 0.05;
        }
        let before = state.clocker.measured;
        assert!((19.0..=21.0).contains(&before), "{before}");
        // A throttling answer: the fill rate is cut to 0.7x the measured rate.
        state.on_response(true, now);
        let rate = state.bucket.fill_rate;
        assert!(close(rate, 0.7 * state.clocker.measured), "{rate}");
        assert!((13.0..=15.0).contains(&rate), "{rate}");
        // The tokens saved while the limiter was off go first, then one every 1/rate s.
        let free = state.bucket.capacity.floor() as usize;
        let waits: Vec<f64> = (0..free + 3).map(|_| state.before_send(now)).collect();
        assert!(waits[..free].iter().all(|w| *w == 0.0), "{waits:?}");
        assert!(waits[free] > 0.0 && waits[free] <= 1.0 / rate, "{waits:?}");
        for pair in waits[free..].windows(2) {
            assert!(close(pair[1] - pair[0], 1.0 / rate), "{waits:?}");
        }
    }
}
