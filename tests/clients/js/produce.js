// Produces records with KafkaJS 2.2.4 and prints what the broker answered.
//
// Usage: node produce.js BOOTSTRAP TOPIC < records.json
// records.json: {"acks": -1, "chunk": 7, "records": [
//   {"partition": 0, "key": B64|null, "value": B64|null,
//    "headers": [[name, B64], ...]}, ...]}
// Records go out in order, `chunk` records per send() call. Header names that
// repeat must be adjacent (KafkaJS takes headers as an object whose values
// may be arrays). Prints one JSON line: {"results": [RecordMetadata, ...]}
// with one entry per send(), or {"error": {...}} and exit code 1.
const { Kafka, logLevel } = require('kafkajs')

function fromB64(s) {
  return s === null ? null : Buffer.from(s, 'base64')
}

function headersObject(pairs) {
  const out = {}
  let last = null
  for (const [name, value] of pairs) {
    const v = fromB64(value)
    if (name in out) {
      if (name !== last) throw new Error(`header ${name} repeats but not adjacently`)
      out[name] = [].concat(out[name], [v])
    } else {
      out[name] = v
    }
    last = name
  }
  return out
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

async function main() {
  const [bootstrap, topic] = process.argv.slice(2)
  const input = await readStdin()
  const kafka = new Kafka({
    clientId: 'corelog-kafkajs-test',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 3 },
  })
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  const results = []
  try {
    const chunk = input.chunk || input.records.length
    for (let i = 0; i < input.records.length; i += chunk) {
      const messages = input.records.slice(i, i + chunk).map(r => ({
        partition: r.partition,
        key: fromB64(r.key),
        value: fromB64(r.value),
        headers: headersObject(r.headers),
      }))
      const meta = await producer.send({ topic, acks: input.acks, messages })
      results.push(...meta)
    }
  } finally {
    await producer.disconnect()
  }
  process.stdout.write(JSON.stringify({ results }) + '\n')
}

main().catch(e => {
  process.stdout.write(JSON.stringify({
    error: {
      name: e.name, type: e.type, code: e.code, message: e.message,
      cause: e.originalError
        ? { name: e.originalError.name, type: e.originalError.type, message: e.originalError.message }
        : null,
    },
  }) + '\n')
  process.exit(1)
})
