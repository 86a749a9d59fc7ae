export { default } from '../../tsup.daemon.js';
