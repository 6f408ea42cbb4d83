// History for the dashboard's charts: users, their sessions and login
// events over the last 30 days, with the daily aggregates the charts read
// (counted here as the node's event writer counts them: days in UTC, the
// default events.day_zone), written straight into the node's SQLite
// database (the API only ever creates users "now").
import { randomBytes } from 'node:crypto';

const hex = (n) => randomBytes(n).toString('hex');
const names = ['小明', '小红', '阿强', 'Lily', '王芳', 'Tom', '陈晨', '李雷', '韩梅梅', 'Zoe'];
const apps = ['wxdevappid0000000', 'wxdevappid0000000', 'qqdevappid0000000', 'ttdevappid0000000', '2021000000000000'];
const platformOf = {
  wxdevappid0000000: 'weixin', qqdevappid0000000: 'qq', ttdevappid0000000: 'douyin', '2021000000000000': 'alipay',
};

const failures = ['invalid_code', 'invalid_code', 'upstream_unavailable', 'rate_limited'];

export function historySQL(now = Date.now()) {
  const day = 24 * 3600 * 1000;
  const rows = ['BEGIN;'];
  const daily = new Map();
  const event = (at, userID, app, kind, result, ip, newUser) => {
    rows.push(`INSERT INTO login_events (at, user_id, app_id, platform, kind, result, ip, user_agent)
      VALUES (${at}, '${userID}', '${app}', '${platformOf[app]}', '${kind}', '${result}', '${ip}', 'Mozilla/5.0 MicroMessenger');`);
    const key = [new Date(at).toISOString().slice(0, 10), app, platformOf[app], kind, result].join('|');
    const c = daily.get(key) || { events: 0, newUsers: 0 };
    c.events++;
    if (newUser) c.newUsers++;
    daily.set(key, c);
  };
  for (let d = 29; d >= 1; d--) {
    const users = 8 + Math.round(6 * Math.sin(d / 3) + (30 - d) / 2);
    for (let i = 0; i < users; i++) {
      const at = now - d * day + i * 60000;
      const id = hex(16);
      const app = apps[i % apps.length];
      const openid = `hist-${d}-${i}`;
      rows.push(`INSERT INTO users (id, nickname, avatar_url, phone, disabled, created_at, updated_at)
        VALUES ('${id}', '${names[i % names.length]}${d}', '', '', ${i % 17 === 0 ? 1 : 0}, ${at}, ${at});`);
      rows.push(`INSERT INTO identities (platform, app_id, openid, unionid, user_id, created_at)
        VALUES ('${platformOf[app]}', '${app}', '${openid}', '', '${id}', ${at});`);
      if (i % 5 === 4) event(at - 1000, '', apps[(d + i) % apps.length], 'login', failures[(d + i) % failures.length], `10.0.${d}.${i}`, false);
      for (let l = 0; l < 1 + (i % 4); l++) {
        const sat = at + l * 3600000;
        event(sat, id, app, 'login', 'ok', `10.0.${d}.${i}`, l === 0);
        if (l % 2 === 1) event(sat + 1800000, id, app, 'refresh', 'ok', `10.0.${d}.${i}`, false);
        rows.push(`INSERT INTO sessions (id, user_id, app_id, openid, session_key, access_hash, refresh_hash, user_agent, ip,
          created_at, last_used_at, access_expires_at, refresh_expires_at)
          VALUES ('${hex(16)}', '${id}', '${app}', '${openid}', 'k', '${hex(32)}', '${hex(32)}', 'Mozilla/5.0 MicroMessenger', '10.0.${d}.${i}',
          ${sat}, ${sat}, ${sat + 7200000}, ${sat + 30 * day});`);
      }
    }
  }
  for (const [key, c] of daily) {
    const [d, app, platform, kind, result] = key.split('|');
    rows.push(`INSERT INTO login_daily (day, app_id, platform, kind, result, events, new_users)
      VALUES ('${d}', '${app}', '${platform}', '${kind}', '${result}', ${c.events}, ${c.newUsers});`);
  }
  rows.push('COMMIT;');
  return rows.join('\n');
}
