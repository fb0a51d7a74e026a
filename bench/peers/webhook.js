// k6 peer for `python -m bench.peers`: builds a chatsession.message webhook per request and signs
// it as SuperOffice does (X-SuperOffice-Signature: base64 HMAC-SHA256 of the exact body bytes).
//   k6 run -e TARGET=http://127.0.0.1:8080/webhook -e SECRET=s --vus 32 --duration 8s webhook.js
import http from 'k6/http';
import crypto from 'k6/crypto';

const TARGET = __ENV.TARGET || 'http://127.0.0.1:8080/webhook';
const SECRET = __ENV.SECRET || 'change-me';
const ALIASES = ['Hans', 'Anne', 'Ingrid', 'Lars', 'Sofie', 'Jan', 'Emma', 'Noah', 'Karin', 'Erik'];
const CHANGES = [
  'chatSession.topicId', 'chatSession.userId', 'chatSession.customerId', 'chatSession.customerName',
  'chatSession.customerEmail', 'chatSession.companyName', 'chatSession.customerPhone',
  'chatMessage.sessionId', 'chatMessage.id', 'chatMessage.message', 'chatMessage.type',
  'chatMessage.specialType', 'chatMessage.specialParam', 'chatMessage.author',
];
const TOPICS = [1, 2, 10, 20];

function uuid4() {
  const b = new Uint8Array(crypto.randomBytes(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export default function () {
  const eventId = uuid4();
  const body = JSON.stringify({
    EventId: eventId,
    Timestamp: new Date().toISOString().replace('Z', '0000Z'),
    Changes: CHANGES,
    Event: 'chatsession.message',
    PrimaryKey: 500000 + Math.floor(Math.random() * 100000),
    Entity: 'chatsession',
    ContextIdentifier: 'Cust12345',
    ChangedByAssociateId: 0,
    WebhookName: 'Load test bridge',
    FieldValues: {
      AlertLevel: 0, ChatbotIsactive: true, Consented: false,
      ContactId: String(1000 + Math.floor(Math.random() * 9000)), CustomerAlias: pick(ALIASES),
      CustomerId: String(1000 + Math.floor(Math.random() * 20000)), ProjectId: 0, Rating: 0,
      SaleId: 0, Status: 4, TicketId: 0, TopicId: pick(TOPICS), UserId: 0,
    },
  });
  http.post(TARGET, body, {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'NetServer-Webhook/8.8.6684.1719',
      'X-SuperOffice-Event': 'chatsession.message',
      'X-SuperOffice-EventId': eventId,
      'X-SuperOffice-Signature': crypto.hmac('sha256', SECRET, body, 'base64'),
    },
  });
}
