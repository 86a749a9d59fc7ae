// NestJS 12 (its Express adapter) on the socket systemd passes, or on 127.0.0.1:$PORT (default 8080)
// when started by hand.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { listen, notify, serveUntilStopped } from '@sdnode/activation';

// Plain JavaScript has no decorator syntax: Nest's decorators are applied as functions (in
// TypeScript, @Controller(), @Get() and @Module() as usual).
class AppController {
  hello() {
    return 'Hello from NestJS\n';
  }
}
Get()(AppController.prototype, 'hello', Object.getOwnPropertyDescriptor(AppController.prototype, 'hello'));
Controller()(AppController);
class AppModule {}
Module({ controllers: [AppController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
// Nest registers its routes in init(), which its own listen() would have called. Without it every
// request, the activating one included, is answered 404.
await app.init();
const server = app.getHttpServer();
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
const { activated } = await listen(server, { fallback });
serveUntilStopped([server]); // SIGTERM: stop accepting, let the requests in flight finish, exit
notify.ready();
console.log(`nestjs: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
