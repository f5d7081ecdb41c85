# One image for every role: docker run ordermail --role=api | --role=notifier | --role=migrate | ...
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
# The built-in email templates, read at start-up (TEMPLATES_DIR, mounted, overrides them file by file).
COPY templates ./templates
USER node
EXPOSE 3000 9464
# The api answers on PORT, the notifier on OPS_PORT; whichever of the two listens must say healthy.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "const p=[process.env.PORT||3000,process.env.OPS_PORT||9464];Promise.any(p.map(x=>fetch('http://127.0.0.1:'+x+'/health').then(r=>{if(!r.ok)throw r.status}))).then(()=>process.exit(0),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--role=api"]
