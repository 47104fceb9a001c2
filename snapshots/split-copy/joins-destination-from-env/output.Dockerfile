FROM python:3.12
ARG APP_USER=app
ENV APP_HOME=/srv/app
WORKDIR ${APP_HOME}
COPY --chown=${APP_USER} requirements.txt $APP_HOME/
RUN pip install -r requirements.txt
COPY --chown=${APP_USER} . $APP_HOME
