// analytics-node as a real client of `sluice serve`: N identify and N track
// calls for users PREFIX-0..N-1, then closeAndFlush.
// Usage: node node-client.js HOST WRITE_KEY PREFIX N
const { Analytics } = require('@segment/analytics-node')
const [host, writeKey, prefix, n] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, flushAt: 15, maxRetries: 3 })
analytics.on('error', (e) => { console.error('analytics-node error:', e); process.exitCode = 1 })
for (let i = 0; i < Number(n); i++) {
  const userId = `${prefix}-${i}`
  analytics.identify({ userId, traits: { plan: 'pro', n: i } })
  analytics.track({ userId, event: 'Order Completed', properties: { total: i } })
}
analytics.closeAndFlush({ timeout: 20000 }).then(() => {}, (e) => { console.error(e); process.exit(1) })
