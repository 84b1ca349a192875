// The live cluster page (tools/admin_page/index.html): polls GET /v1/members (which gathers
// the views of this node's active peers) and GET /v1/health, and streams GET /v1/events.
// No library. A bearer token, when the endpoint needs one, is read from the address's
// fragment (#token=...), which browsers never send to a server.
'use strict';

const kRefreshMs = 2000;      // between polls of the member list
const kReconnectMs = 2000;    // before re-opening a closed event stream
const kEventsShown = 30;      // latest events listed
const overview = document.getElementById('overview');
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
const state = { events: [], lastEventId: 0, updates: 0, refreshSoon: null };

// SVG elements take the namespace of the page's <svg> (no URL written here).
const kSvgTags = new Set(['line', 'circle', 'text', 'title']);
const kSvgNamespace = document.getElementById('graph').namespaceURI;

function element(tag, attributes, text) {
  const node = kSvgTags.has(tag) ? document.createElementNS(kSvgNamespace, tag)
                                 : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (!response.ok) throw new Error(path + ' answered ' + response.status);
  return response.json();
}

function setStatus(text, failed) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.className = failed ? 'error' : '';
  overview.dataset.status = failed ? 'error' : 'live';
}

// Positions on a circle, this node first (at the top), the rest by name.
function layout(nodes, self) {
  const names = nodes.map((n) => n.name).filter((n) => n !== self).sort();
  names.unshift(self);
  const radius = names.length > 1 ? 190 : 0;
  const at = {};
  names.forEach((name, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / names.length;
    at[name] = { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
  });
  return at;
}

function drawGraph(cluster, self) {
  const svg = document.getElementById('graph');
  svg.replaceChildren();
  const at = layout(cluster.nodes, self);
  const links = [...cluster.on_demand_links.map((l) => [l, 'on-demand']),
                 ...cluster.active_links.map((l) => [l, 'active'])];
  for (const [[a, b], kind] of links) {
    if (!at[a] || !at[b]) continue;
    svg.append(element('line', { class: kind, x1: at[a].x, y1: at[a].y, x2: at[b].x, y2: at[b].y,
                                 'data-link': a + ' ' + b }));
  }
  for (const node of cluster.nodes) {
    const p = at[node.name];
    const kind = node.source === 'self' ? 'self' : node.health;
    const circle = element('circle', { cx: p.x, cy: p.y, r: 14, class: kind,
                                       'data-node': node.name, 'data-health': node.health });
    circle.append(element('title', {}, node.name + ' (' + node.health + ')'));
    svg.append(circle);
    svg.append(element('text', { x: p.x, y: p.y + (p.y < 0 ? -22 : 32) }, node.name));
  }
}

function drawTable(cluster) {
  const body = document.querySelector('#nodes tbody');
  body.replaceChildren();
  for (const node of cluster.nodes) {
    const row = element('tr', { 'data-node': node.name });
    const health = element('td', { class: 'health' });
    health.append(element('span', { class: node.source === 'self' ? 'self' : node.health }));
    health.append(document.createTextNode(node.source === 'self' ? 'this node' : node.health));
    row.append(element('td', {}, node.name), element('td', {}, node.address || '—'), health,
               element('td', {}, node.active.join(', ') || '—'),
               element('td', {}, node.passive_size === null ? '—' : String(node.passive_size)),
               element('td', {}, node.on_demand.join(', ') || '—'));
    body.append(row);
  }
}

function render(members, health) {
  const cluster = members.cluster;
  if (!cluster || cluster.error) throw new Error('no cluster view: ' + (cluster && cluster.error));
  const self = members.node.name;
  document.getElementById('node-name').textContent = self + ' (' + health.status + ')';
  document.getElementById('nodes-count').textContent = cluster.nodes.length;
  document.getElementById('active-count').textContent = cluster.active_links.length;
  document.getElementById('on-demand-count').textContent = cluster.on_demand_links.length;
  document.getElementById('unanswered-count').textContent = cluster.unanswered.length;
  drawGraph(cluster, self);
  drawTable(cluster);
  state.updates += 1;
  Object.assign(overview.dataset, {
    node: self,
    nodes: cluster.nodes.length,
    activeLinks: cluster.active_links.length,
    onDemandLinks: cluster.on_demand_links.length,
    unanswered: cluster.unanswered.length,
    updates: state.updates,
  });
}

async function refresh() {
  try {
    const [members, health] = await Promise.all([getJson('/v1/members'), getJson('/v1/health')]);
    render(members, health);
    setStatus('live, updated ' + new Date().toLocaleTimeString(), false);
  } catch (error) {
    setStatus('cannot reach the node: ' + error.message, true);
  }
}

async function poll() {
  await refresh();
  setTimeout(poll, kRefreshMs);
}

function describe(event) {
  const time = new Date(event.time_ms).toLocaleTimeString();
  const detail = event.node ? ' ' + event.node : event.lost ? ' ' + event.lost.join(', ') : '';
  const reason = event.reason ? ' (' + event.reason + ')' : '';
  return time + '  ' + event.type + detail + reason;
}

function showEvents() {
  const list = document.getElementById('events');
  list.replaceChildren();
  for (const event of state.events.slice().reverse()) {
    list.append(element('li', { 'data-type': event.type, 'data-node': event.node || '' },
                        describe(event)));
  }
  overview.dataset.events = state.events.length;
  const last = state.events[state.events.length - 1];
  overview.dataset.lastEvent = last ? last.type + ' ' + (last.node || '') : '';
}

// One Server-Sent Events block: "id:", "event:" and "data:" lines.
function onBlock(block) {
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) state.lastEventId = Number(line.slice(3).trim());
    if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const event = JSON.parse(data);
  if (!event.type) return;  // "missed" notices carry no type
  state.events.push(event);
  if (state.events.length > kEventsShown) state.events.shift();
  showEvents();
  // The overlay changed: refresh soon rather than at the next poll.
  clearTimeout(state.refreshSoon);
  state.refreshSoon = setTimeout(refresh, 300);
}

// fetch() rather than EventSource: it can send the bearer token.
async function streamEvents() {
  for (;;) {
    try {
      const response = await fetch('/v1/events?since=' + state.lastEventId,
                                   { headers, cache: 'no-store' });
      if (!response.ok) throw new Error('events answered ' + response.status);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          onBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (error) {
      // The node is gone or restarting: try again after a pause.
    }
    await new Promise((resolve) => setTimeout(resolve, kReconnectMs));
  }
}

poll();
streamEvents();
