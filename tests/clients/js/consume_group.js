// Reads a topic with a KafkaJS consumer group until it has `expected`
// records, then prints them as one JSON line and leaves the group.
//
// Usage: node consume_group.js BOOTSTRAP TOPIC < {"group": G, "expected": N, "timeoutMs": T}
// Prints {"records": [{"partition", "offset", "key", "value"}...]} (key and
// value base64), or {"error": {...}} and exit code 1.
const { Kafka, logLevel } = require('kafkajs')

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const b64 = b => (b === null ? null : b.toString('base64'))

async function main() {
  const [bootstrap, topic] = process.argv.slice(2)
  const input = await readStdin()
  const kafka = new Kafka({
    clientId: 'corelog-kafkajs-group-test',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    connectionTimeout: 5000,
    requestTimeout: 15000,
  })
  const consumer = kafka.consumer({ groupId: input.group, sessionTimeout: 10000, heartbeatInterval: 500 })
  const records = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const done = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${records.length} records`)), input.timeoutMs)
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push({ partition, offset: Number(message.offset), key: b64(message.key), value: b64(message.value) })
          if (records.length >= input.expected) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    await done
  } finally {
    await consumer.disconnect()
  }
  process.stdout.write(JSON.stringify({ records }) + '\n')
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ error: { name: e.name, message: e.message } }) + '\n')
  process.exit(1)
})
