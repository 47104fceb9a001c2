FROM ruby:3.3
WORKDIR /app
ENV BUNDLE_FROZEN=true
COPY Gemfile Gemfile.lock .ruby-version ./
RUN bundle install --jobs 4
COPY . .
CMD ["bundle", "exec", "puma"]
