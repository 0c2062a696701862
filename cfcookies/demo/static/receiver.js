// The receiver page: play the link after '#' in this page's address as a player without cookies
// would (hls.js sending no credentials to the edge, or the browser's own HLS player with
// crossorigin="anonymous"), list what was asked of the edge, and try the link's query on the
// other courses. Inlined by cfcookies.demo.pages into /receiver only; settings in #demo-config.
const config = JSON.parse(document.getElementById('demo-config').textContent);
const section = document.getElementById('receiver');
const video = document.getElementById('player');
const label = document.getElementById('video-state');
const secrets = new RegExp('([?&](?:' + config.secrets.join('|') + ')=)[^&\\s]*', 'g');

function line(list, text, ok, status) {
  const li = document.createElement('li');
  const badge = document.createElement('span');
  badge.className = 'status ' + (ok ? 'ok' : 'bad');
  badge.textContent = String(status);
  li.append(badge, ' ', text);
  list.append(li);
  return li;
}
function show(state, text, ok) {
  section.dataset.video = state;
  label.textContent = 'video: ' + text;
  label.className = 'video ' + (ok ? 'ok' : 'bad');
}
// What the page shows of a URL: where it goes, without the link's token or the query's secrets.
function shown(url) {
  const u = new URL(url, location.href);
  let path = u.pathname;
  if (path.startsWith(config.route)) {
    path = config.route + '…' + path.slice(path.indexOf('/', config.route.length));
  }
  return (u.origin === location.origin ? 'app ' : 'edge ') + path + u.search.replace(secrets, '$1…');
}
function record(list, url, status, decision) {
  const u = new URL(url, location.href);
  const li = line(list, shown(url) + (decision ? ' (' + decision + ')' : ''),
                  status >= 200 && status < 300, status || 'ERR');
  li.dataset.host = u.origin === location.origin ? 'app' : 'edge';
  li.dataset.path = u.pathname;
  li.dataset.status = String(status);
  li.dataset.signed = u.searchParams.has('Signature') ? '1' : '0';
  return li;
}
function watch() {
  video.addEventListener('playing', () => show('playing', 'playing, ' + video.videoWidth + 'x' +
    video.videoHeight + ', without cookies', true));
  video.addEventListener('error', () => show('error', 'the player could not load it (' +
    (video.error ? video.error.code : '?') + ')', false));
}

function playWithHls(link, requests) {
  const hls = new Hls({
    // Every request without credentials: no cookie reaches the edge, whatever this browser holds.
    xhrSetup(xhr, url) {
      xhr.withCredentials = false;
      xhr.addEventListener('loadend', () => record(requests, url, xhr.status,
        xhr.status ? xhr.getResponseHeader('x-cfcookies-decision') : ''));
    },
    fetchSetup(context, init) {
      return new Request(context.url, Object.assign({}, init, {credentials: 'omit'}));
    },
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
  hls.on(Hls.Events.ERROR, (event, data) => {
    if (data.fatal) show('error', 'hls.js: ' + data.type + ', ' + data.details, false);
  });
  hls.loadSource(link);
  hls.attachMedia(video);
}

async function playNatively(link, segments, requests) {
  if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.crossOrigin = 'anonymous';
    video.src = link;
  } else {
    show('unsupported', 'this browser has no HLS player of its own, and the demo has no ' +
         'hls.js (start it with --hls-js); the segments still load below', false);
  }
  for (const url of segments) {
    try {
      const response = await fetch(url, {credentials: 'omit', cache: 'no-store'});
      await response.arrayBuffer();
      record(requests, url, response.status, response.headers.get('x-cfcookies-decision'));
    } catch (error) {
      record(requests, url, 0, String(error));
    }
  }
}

// The query of the playlist's first segment, on the first segment of every other course.
async function tryElsewhere(mediaPath, query) {
  const list = document.getElementById('elsewhere');
  const others = config.courses.filter(prefix => !mediaPath.startsWith(prefix));
  let refused = 0;
  for (const prefix of others) {
    const url = config.media + prefix + config.segment + query;
    try {
      const response = await fetch(url, {credentials: 'omit', cache: 'no-store'});
      await response.arrayBuffer();
      record(list, url, response.status, response.headers.get('x-cfcookies-decision'));
      if (response.status === 403) refused += 1;
    } catch (error) {
      record(list, url, 0, String(error));
    }
  }
  section.dataset.elsewhere = refused === others.length ? 'refused' : 'served';
}

async function main() {
  const link = location.hash.slice(1);
  if (!link.startsWith(config.route)) {
    show('no-link', 'no link: open this page from a course\'s "Play it without cookies"', false);
    section.dataset.result = 'no-link';
    return;
  }
  const mediaPath = link.slice(link.indexOf('/', config.route.length));
  // The playlist as the app serves it to the player (fetched once more, to show it).
  const pre = document.getElementById('playlist');
  let text = '';
  try {
    const response = await fetch(link, {credentials: 'omit', cache: 'no-store'});
    text = await response.text();
    pre.textContent = response.status + ' ' + response.statusText + '\n\n' +
      text.replace(secrets, '$1…');
    section.dataset.playlist = String(response.status);
    if (!response.ok) {
      show('refused', 'the app refused the link (' + response.status + '): it may have ' +
           'expired, or its session logged out', false);
      section.dataset.result = 'refused';
      return;
    }
  } catch (error) {
    pre.textContent = 'network error: ' + error;
    section.dataset.result = 'error';
    return;
  }
  const segments = text.split('\n').map(s => s.trim()).filter(s => s && !s.startsWith('#'))
    .map(s => new URL(s, location.href).href);
  const query = segments.length ? new URL(segments[0]).search : '';
  const requests = document.getElementById('requests');
  watch();
  if (config.engine === 'hls.js' && window.Hls && Hls.isSupported()) {
    section.dataset.player = 'hls.js';
    playWithHls(link, requests);
  } else {
    section.dataset.player = 'native';
    if (config.engine === 'hls.js') {
      document.getElementById('how').append(' hls.js cannot play in this browser (no Media ' +
        'Source Extensions): the browser\'s own player is tried instead.');
    }
    await playNatively(link, segments, requests);
  }
  await tryElsewhere(mediaPath, query);
  section.dataset.result = 'done';
}
main();
