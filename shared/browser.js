// `@coldkeep/shared/browser`: the browser-safe entry (src/browser.ts), for bundlers.
module.exports = require('./dist/browser.js');
